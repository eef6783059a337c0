// The operator CLI's command table and runner: the shell's registry, flag parser and help, so
// `gatehouse --help`, `gatehouse user add --help` and every "not found" or "unknown flag" error
// come from the same place as the SSH shell's.
import { printCommandHelp, printGroupHelp, printOverview } from '../shell/help.js';
import { parseArgs } from '../shell/parseArgs.js';
import { Registry } from '../shell/registry.js';
import type { GroupDef } from '../shell/types.js';
import { audit } from './audit.js';
import { serve } from './serve.js';
import type { CliCommandDef, CliContext } from './types.js';
import { userAdd, userList } from './user.js';

export const CLI_COMMANDS: CliCommandDef[] = [serve, userAdd, userList, audit];
export const CLI_GROUPS: GroupDef[] = [{ name: 'user', summary: 'add and list accounts (in the database, beside serve)' }];

const registry = new Registry<CliCommandDef>(CLI_COMMANDS, CLI_GROUPS, 'run "gatehouse --help"');
const PROGRAM = 'gatehouse ';
const FOOTER = 'Run "gatehouse COMMAND --help" for details. Settings come from GATEHOUSE_* variables or flags.';

export async function runCli(argv: string[], ctx: CliContext): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined || first === '--help' || first === '-h') return overview(ctx);
  if (first === 'help') {
    if (rest.length === 0) return overview(ctx);
    return help(ctx, rest);
  }
  const found = registry.resolve(argv);
  if (found.kind === 'group') {
    parseArgs({ path: [found.group.name], summary: found.group.summary }, argv.slice(1)); // refuses unknown flags
    printGroupHelp(ctx.out, found.group, found.commands);
    return 0;
  }
  const args = parseArgs(found.def, found.rest);
  if (args.help) {
    printCommandHelp(ctx.out, found.def, PROGRAM);
    return 0;
  }
  return (await found.def.run(ctx, args)) ?? 0;
}

function overview(ctx: CliContext): number {
  ctx.out.line(`usage: ${PROGRAM}<command> [flags]`);
  ctx.out.line();
  printOverview(ctx.out, registry, true, FOOTER);
  return 0;
}

function help(ctx: CliContext, topic: string[]): number {
  const found = registry.resolve(topic);
  if (found.kind === 'group') printGroupHelp(ctx.out, found.group, found.commands);
  else printCommandHelp(ctx.out, found.def, PROGRAM);
  return 0;
}
