// Help text, derived entirely from the command definitions.
import type { Output } from './output.js';
import { optionsOf, usageLine } from './parseArgs.js';
import type { Registry } from './registry.js';
import type { CommandShape, GroupDef } from './types.js';

export function printOverview(out: Output, registry: Registry<CommandShape>, isAdmin: boolean, footer?: string): void {
  const visible = (d: CommandShape) => isAdmin || !d.adminOnly;
  out.line(out.c.bold('Commands:'));
  const rows: string[][] = registry.topLevel().filter(visible).map((d) => ['  ' + out.c.cyan(d.path[0]), d.summary]);
  for (const g of registry.groups) {
    const subs = registry.subcommands(g).filter(visible);
    if (subs.length) rows.push(['  ' + out.c.cyan(`${g.name} ${subs.map((s) => s.path[1]).join('|')}`), g.summary]);
  }
  out.table(rows);
  out.line();
  out.line(footer ?? `Run ${out.c.cyan('help COMMAND')} or ${out.c.cyan('COMMAND --help')} for details; every command takes --json.`);
}

export function printGroupHelp(out: Output, group: GroupDef, commands: CommandShape[]): void {
  out.line(`${out.c.bold(group.name)}: ${group.summary}`);
  if (group.aliases?.length) out.line(`alias: ${group.aliases.join(', ')}`);
  out.line();
  out.table(commands.map((d) => ['  ' + out.c.cyan(usageLine(d)), d.summary]));
}

/** `program` prefixes the usage line: `gatehouse ` for the operator CLI. */
export function printCommandHelp(out: Output, def: CommandShape, program = ''): void {
  out.line(`${out.c.bold('usage:')} ${program}${usageLine(def)}`);
  out.line();
  out.line(def.summary);
  const options = Object.entries(optionsOf(def));
  out.line();
  out.line(out.c.bold('flags:'));
  out.table(
    options.map(([name, o]) => {
      const flag = `--${name}${o.type === 'boolean' ? '' : ` ${o.value ?? name.toUpperCase()}`}${o.type === 'array' ? ' (repeatable)' : ''}`;
      return ['  ' + (o.alias ? `-${o.alias}, ` : '') + flag, o.describe];
    }),
  );
  if (def.examples?.length) {
    out.line();
    out.line(out.c.bold('examples:'));
    for (const e of def.examples) out.line('  ' + e);
  }
}

export function helpAsJson(def: CommandShape): object {
  return {
    command: def.path.join(' '),
    usage: usageLine(def),
    summary: def.summary,
    flags: Object.fromEntries(Object.entries(optionsOf(def)).map(([n, o]) => [n, { type: o.type, describe: o.describe }])),
    examples: def.examples ?? [],
  };
}
