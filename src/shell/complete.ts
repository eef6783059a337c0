// Tab completion, derived from the command definitions: command and subcommand names, flags,
// and values from each argument's or option's declared completer (VM names, integrations, …).
import { optionsOf } from './parseArgs.js';
import type { Registry } from './registry.js';
import type { CommandContext, Completer } from './types.js';

export type Completion = [candidates: string[], fragment: string];

export async function complete(registry: Registry, ctx: CommandContext, lineBeforeCursor: string): Promise<Completion> {
  const words = lineBeforeCursor.trimStart().split(/\s+/);
  const fragment = words.pop() ?? '';
  const match = (list: Iterable<string>) => [...new Set(list)].filter((c) => c.startsWith(fragment)).sort();
  const visible = registry.commands.filter((d) => ctx.user.is_admin || !d.adminOnly);

  if (words.length === 0) {
    // A group is offered only when this user may run one of its subcommands (admin is for admins).
    const groups = registry.groups.filter((g) => visible.some((d) => d.path.length === 2 && d.path[0] === g.name)).map((g) => g.name);
    return [match(['help', 'exit', ...visible.filter((d) => d.path.length === 1).map((d) => d.path[0]), ...groups]).map((w) => w + ' '), fragment];
  }
  if (words[0] === 'help') return [match(visible.map((d) => d.path[0])), fragment];
  const group = registry.group(words[0]);
  if (group && words.length === 1) {
    return [match(visible.filter((d) => d.path[0] === group.name).map((d) => d.path[1])).map((w) => w + ' '), fragment];
  }
  const def = group
    ? visible.find((d) => d.path[0] === group.name && (d.path[1] === words[1] || d.aliases?.includes(words[1])))
    : visible.find((d) => d.path.length === 1 && (d.path[0] === words[0] || d.aliases?.includes(words[0])));
  if (!def) return [[], fragment];
  const options = optionsOf(def);
  const values = async (completer: Completer | undefined) => (completer ? completer(ctx).catch(() => []) : []);

  const eq = /^--([^=]+)=(.*)$/.exec(fragment);
  if (eq) {
    const opt = options[eq[1]];
    const all = await values(opt?.complete);
    return [all.filter((v) => v.startsWith(eq[2])).map((v) => `--${eq[1]}=${v}`), fragment];
  }
  if (fragment.startsWith('-')) {
    return [match(Object.entries(options).map(([n, o]) => (o.type === 'boolean' ? `--${n} ` : `--${n}`))), fragment];
  }
  const previous = words[words.length - 1];
  const prevOpt = previous.startsWith('--') && !previous.includes('=') ? options[previous.slice(2)] : undefined;
  if (prevOpt && prevOpt.type !== 'boolean') return [match(await values(prevOpt.complete)), fragment];

  // Positional: count the positional words typed so far (skipping flags and their values).
  const argWords = words.slice(def.path.length);
  let count = 0;
  for (let i = 0; i < argWords.length; i++) {
    const w = argWords[i];
    if (w.startsWith('-')) {
      const o = options[w.replace(/^-+/, '')];
      if (o && o.type !== 'boolean' && !w.includes('=')) i++;
    } else count++;
  }
  const specs = def.args ?? [];
  const spec = specs[count] ?? (specs.at(-1)?.variadic ? specs.at(-1) : undefined);
  return [match(await values(spec?.complete)), fragment];
}
