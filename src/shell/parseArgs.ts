// Flag parsing with yargs-parser, driven by a command's declared options. Unknown flags and
// wrong arities are usage errors that say what was expected.
import yargsParser from 'yargs-parser';
import { GatehouseError } from '../errors.js';
import { shown } from './output.js';
import type { CommandShape, OptionSpec, ParsedArgs } from './types.js';

/** Options every command has. */
export const COMMON_OPTIONS: Record<string, OptionSpec> = {
  help: { type: 'boolean', alias: 'h', describe: 'show help for this command' },
  json: { type: 'boolean', describe: 'print machine-readable JSON' },
};

export function optionsOf(def: CommandShape): Record<string, OptionSpec> {
  return { ...(def.options ?? {}), ...COMMON_OPTIONS };
}

export function usageLine(def: CommandShape): string {
  const args = (def.args ?? []).map((a) => {
    const word = a.variadic ? `${a.name}…` : a.name;
    return a.optional ? `[${word}]` : word;
  });
  const hasOptions = Object.keys(def.options ?? {}).length > 0;
  return [...def.path, ...(hasOptions ? ['[flags]'] : []), ...args].join(' ');
}

export function parseArgs(def: CommandShape, words: string[]): ParsedArgs {
  // No words (`whoami`, `vm ls`): yargs-parser, given no defaults, returns `{ _: [] }` whatever the
  // spec, so the result is known without running it: yargs-parser was ~3% of gatehouse's CPU
  // profile in the 100-session SSH bench (issue 18). test/shell/parseArgs.test.ts holds it to yargs.
  if (words.length === 0) {
    checkArity(def, []);
    return { _: [], json: false };
  }
  const options = optionsOf(def);
  const spec: yargsParser.Options = {
    string: [],
    boolean: [],
    array: [],
    alias: {},
    configuration: {
      'camel-case-expansion': false,
      'dot-notation': false,
      'parse-numbers': false,
      'parse-positional-numbers': false,
      'boolean-negation': false,
      'duplicate-arguments-array': true,
      'greedy-arrays': false,
      'strip-aliased': true,
      'short-option-groups': false,
    },
  };
  for (const [name, o] of Object.entries(options)) {
    if (o.type === 'array') (spec.array as string[]).push(name), (spec.string as string[]).push(name);
    else (spec[o.type] as string[]).push(name);
    if (o.alias) (spec.alias as Record<string, string[]>)[name] = [o.alias];
  }
  checkFlagValues(options, words);
  const parsed = yargsParser(words, spec);
  const known = new Set(Object.keys(options));
  for (const key of Object.keys(parsed)) {
    if (key === '_' || key === '--' || known.has(key)) continue;
    const flag = key.length === 1 ? `-${key}` : `--${key}`;
    throw new GatehouseError('usage', `unknown flag ${shown(flag)}`, { hint: `see "${def.path.join(' ')} --help"` });
  }
  for (const [name, o] of Object.entries(options)) {
    const v = parsed[name];
    if (o.type === 'string' && Array.isArray(v)) throw new GatehouseError('usage', `flag --${name} was given more than once`);
    if (o.type === 'array' && v !== undefined) parsed[name] = (Array.isArray(v) ? v : [v]).map(String);
  }
  const positional = (parsed._ as (string | number)[]).map(String);
  if (!parsed.help) checkArity(def, positional); // `rm --help` must show help, not "missing argument VM"
  return { ...parsed, _: positional, json: Boolean(parsed.json) } as ParsedArgs;
}

/**
 * yargs-parser is too forgiving here: `--tag` with no value silently adds no tag, and
 * `--json=yes` silently means false. Flags after `--` are positional words, not checked.
 */
function checkFlagValues(options: Record<string, OptionSpec>, words: string[]): void {
  const end = words.indexOf('--');
  const flags = end === -1 ? words : words.slice(0, end);
  flags.forEach((word, i) => {
    const m = /^--?([^=]+)(=(.*))?$/s.exec(word);
    const entry = m && Object.entries(options).find(([n, o]) => n === m[1] || o.alias === m[1]);
    if (!m || !entry) return; // not a flag, or an unknown one (reported after parsing)
    const [name, o] = entry;
    const hasValue = m[2] !== undefined;
    if (o.type === 'boolean') {
      if (hasValue) throw new GatehouseError('usage', `flag --${name} takes no value`);
      return;
    }
    const next = flags[i + 1];
    const missing = hasValue ? o.type === 'array' && m[3] === '' : next === undefined || (next.startsWith('-') && next !== '-');
    if (missing) throw new GatehouseError('usage', `flag --${name} needs a value`, { hint: `e.g. --${name}${o.value ? ` ${o.value}` : '=VALUE'}` });
  });
}

function checkArity(def: CommandShape, positional: string[]): void {
  const args = def.args ?? [];
  const required = args.filter((a) => !a.optional).length;
  const variadic = args.some((a) => a.variadic);
  const hint = `usage: ${usageLine(def)}`;
  if (positional.length < required) {
    const missing = args[positional.length];
    throw new GatehouseError('usage', `missing argument ${missing?.name ?? ''}`.trim(), { hint });
  }
  if (!variadic && positional.length > args.length) {
    throw new GatehouseError('usage', `unexpected argument "${shown(positional[args.length])}"`, { hint });
  }
}
