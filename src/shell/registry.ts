// The command table: resolves typed words to a command definition, with the exact error
// messages of DESIGN.md §3 when a command or subcommand does not exist.
import { GatehouseError } from '../errors.js';
import { shown } from './output.js';
import type { CommandDef, CommandShape, GroupDef } from './types.js';

export type Resolution<D extends CommandShape = CommandDef> =
  | { kind: 'command'; def: D; rest: string[] }
  | { kind: 'group'; group: GroupDef; commands: D[] };

/** The shell's commands, or (with another `D`) the operator CLI's: one resolver, one set of errors. */
export class Registry<D extends CommandShape = CommandDef> {
  constructor(
    readonly commands: readonly D[],
    readonly groups: readonly GroupDef[],
    /** Where "command not found" points: the shell's `help`, the CLI's `gatehouse --help`. */
    private readonly helpHint = 'type "help" to see the commands',
  ) {}

  group(word: string): GroupDef | undefined {
    return this.groups.find((g) => g.name === word || g.aliases?.includes(word));
  }

  /** Commands under a group (path[0] === group name). */
  subcommands(group: GroupDef): D[] {
    return this.commands.filter((c) => c.path.length === 2 && c.path[0] === group.name);
  }

  topLevel(): D[] {
    return this.commands.filter((c) => c.path.length === 1);
  }

  /** `help` passes `groupsAlone`: "help team" shows the group, while "team" alone runs its default. */
  resolve(words: string[], groupsAlone = false): Resolution<D> {
    const [first, second] = words;
    const group = this.group(first);
    if (group) {
      const subs = this.subcommands(group);
      const alone = second === undefined || second.startsWith('-');
      const fallback = group.default && !groupsAlone && second !== '--help' && second !== '-h' ? subs.find((c) => c.path[1] === group.default) : undefined;
      if (alone && fallback) return { kind: 'command', def: fallback, rest: words.slice(1) };
      if (alone) return { kind: 'group', group, commands: subs };
      const def = subs.find((c) => c.path[1] === second || c.aliases?.includes(second));
      if (!def) {
        throw new GatehouseError('usage', `"${group.name}" subcommand "${shown(second)}" not found, valid subcommands are: ${subs.map((c) => c.path[1]).join(', ')}`);
      }
      return { kind: 'command', def, rest: words.slice(2) };
    }
    const def = this.topLevel().find((c) => c.path[0] === first || c.aliases?.includes(first));
    // A usage error (exit 2) like an unknown subcommand or flag: the line itself is wrong.
    if (!def) throw new GatehouseError('usage', `command not found: "${shown(first)}"`, { hint: this.helpHint });
    return { kind: 'command', def, rest: words.slice(1) };
  }
}
