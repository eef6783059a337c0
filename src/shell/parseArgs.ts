// Flag parsing with yargs-parser, driven by a command's declared options. Unknown flags and
// wrong arities are usage errors that say what was expected.
import yargsParser from 'yargs-parser';
import { GatehouseError } from '../errors.js';
import type { CommandDef, OptionSpec, ParsedArgs } from './types.js';

/** Options every command has. */
export const COMMON_OPTIONS: Record<string, OptionSpec> = {
  help: { type: 'boolean', alias: 'h', describe: 'show help for this command' },
  json: { type: 'boolean', describe: 'print machine-readable JSON' },
};

export function optionsOf(def: CommandDef): Record<string, OptionSpec> {
  return { ...(def.options ?? {}), ...COMMON_OPTIONS };
}

export function usageLine(def: CommandDef): string {
  const args = (def.args ?? []).map((a) => {
    const word = a.variadic ? `${a.name}…` : a.name;
    return a.optional ? `[${word}]` : word;
  });
  const hasOptions = Object.keys(def.options ?? {}).length > 0;
  return [...def.path, ...(hasOptions ? ['[flags]'] : []), ...args].join(' ');
}

export function parseArgs(def: CommandDef, words: string[]): ParsedArgs {
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
  const parsed = yargsParser(words, spec);
  const known = new Set(Object.keys(options));
  for (const key of Object.keys(parsed)) {
    if (key === '_' || key === '--' || known.has(key)) continue;
    const shown = key.length === 1 ? `-${key}` : `--${key}`;
    throw new GatehouseError('usage', `unknown flag ${shown}`, { hint: `see "${def.path.join(' ')} --help"` });
  }
  for (const [name, o] of Object.entries(options)) {
    const v = parsed[name];
    if (o.type === 'string' && Array.isArray(v)) throw new GatehouseError('usage', `flag --${name} was given more than once`);
    if (o.type === 'string' && v === '' && words.some((w) => w === `--${name}`)) {
      throw new GatehouseError('usage', `flag --${name} needs a value`, { hint: o.value ? `e.g. --${name} ${o.value}` : undefined });
    }
    if (o.type === 'array' && v !== undefined) parsed[name] = (Array.isArray(v) ? v : [v]).map(String);
  }
  const positional = (parsed._ as (string | number)[]).map(String);
  checkArity(def, positional);
  return { ...parsed, _: positional, json: Boolean(parsed.json) } as ParsedArgs;
}

function checkArity(def: CommandDef, positional: string[]): void {
  const args = def.args ?? [];
  const required = args.filter((a) => !a.optional).length;
  const variadic = args.some((a) => a.variadic);
  const hint = `usage: ${usageLine(def)}`;
  if (positional.length < required) {
    const missing = args[positional.length];
    throw new GatehouseError('usage', `missing argument ${missing?.name ?? ''}`.trim(), { hint });
  }
  if (!variadic && positional.length > args.length) {
    throw new GatehouseError('usage', `unexpected argument "${positional[args.length]}"`, { hint });
  }
}
