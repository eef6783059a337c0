// Runs one command line, the same way for exec and interactive sessions. This is one of the two
// boundaries where errors are caught and rendered (the gateway handler is the other).
import { asPublicError, GatehouseError } from '../errors.js';
import { helpAsJson, printCommandHelp, printGroupHelp, printOverview } from './help.js';
import { optionsOf, parseArgs } from './parseArgs.js';
import type { Registry } from './registry.js';
import { tokenize } from './tokenize.js';
import type { CommandContext, CommandDef, CommandShape, GroupDef } from './types.js';
import { recordCommand, RunNotes, type Ran } from './commandRecord.js';
import type { Log } from '../log.js';

export interface RunResult {
  status: number;
  /** The line carried a secret flag value: keep it out of history. */
  secret: boolean;
  /** The user asked to leave the interactive prompt. */
  exit: boolean;
}

/**
 * Words on one line, at most: far more than any command takes (`rm` of many VMs included), while
 * parsing flags costs ~36 µs a word, so a 64 KiB line of `--x` words would hold the event loop for
 * a third of a second.
 */
export const MAX_WORDS = 1000;

// `key=VALUE` looks like a secret; `key=-` (read from stdin) and an empty `key=` do not.
const SECRET_HINT = /(key|token|secret|password)\s*=(?!-?(\s|$))|\bsk-|\bgk_/i;

/**
 * Runs one line. A resolved command leaves one `command` log line and one count; an audited one
 * (or an admin command refused to a non-admin) one audit row with its outcome. Usage errors are
 * not audited: nothing was attempted.
 */
export async function runLine(registry: Registry, ctx: CommandContext, line: string, log: Log): Promise<RunResult> {
  const result: RunResult = { status: 0, secret: SECRET_HINT.test(line), exit: false };
  let json = /(^|\s)--json(\s|$)/.test(line);
  let done: (() => void) | undefined;
  let ran: Ran | undefined;
  const started = performance.now();
  try {
    const words = tokenize(line);
    if (words.length === 0) return result;
    if (words.length > MAX_WORDS) throw new GatehouseError('usage', `too many words on one line (${words.length}; at most ${MAX_WORDS})`);
    if (words[0] === 'exit' || words[0] === 'quit') return { ...result, exit: true };
    if (words[0] === 'help') {
      const args = parseArgs(HELP_DEF, words.slice(1));
      json = args.json;
      return { ...result, status: help(registry, ctx, args._, json) };
    }
    const found = registry.resolve(words);
    if (found.kind === 'group') {
      // A group word alone shows its subcommands; it still refuses flags it does not know.
      json = parseArgs({ path: [found.group.name], summary: found.group.summary }, words.slice(1)).json;
      groupHelp(ctx, found.group, found.commands, json);
      return result;
    }
    const { def, rest } = found;
    const notes = new RunNotes();
    ran = { def, ctx, status: 0, ms: 0, outcome: undefined, args: undefined, notes };
    // Named by its command path only: argument values may be secrets.
    done = ctx.services.loop.begin(`ssh ${ctx.user.name}: ${def.path.join(' ')}`);
    if (def.adminOnly && !ctx.user.is_admin) {
      ran.outcome = 'forbidden'; // an attempt at an admin command is audited, refused or not
      throw new GatehouseError('forbidden', `"${def.path.join(' ')}" is for admins only`);
    }
    const args = parseArgs(def, rest);
    json = args.json;
    // Either signal keeps the line out of history: a false positive only costs a history entry.
    result.secret ||= carriesSecret(def, args);
    if (args.help) {
      if (json) ctx.out.json(helpAsJson(def));
      else printCommandHelp(ctx.out, def);
      return result;
    }
    ran.args = args;
    const runCtx: CommandContext = { ...ctx, audit: notes, ...(json ? { out: ctx.out.plain() } : {}) };
    ran.outcome = 'internal'; // until it returns: a throw sets its own code below
    result.status = (await def.run(runCtx, args)) ?? 0;
    ran.outcome = 'ok';
    return result;
  } catch (err) {
    const pub = asPublicError(err);
    if (ran?.outcome !== undefined) ran.outcome = pub.code === 'usage' ? undefined : pub.code;
    // The path only, never the line: its argument values may be secrets.
    if (pub.code === 'internal') log.error(`command failed: ${ran ? ran.def.path.join(' ') : '(before a command was found)'}`, err);
    ctx.out.failure(pub, json);
    result.status = pub.exitStatus;
    return result;
  } finally {
    done?.();
    if (ran) {
      ran.status = result.status;
      ran.ms = performance.now() - started;
      await recordCommand(ran, log);
    }
  }
}

function carriesSecret(def: CommandDef, args: Record<string, unknown>): boolean {
  return Object.entries(optionsOf(def)).some(([name, o]) => {
    if (!o.secret) return false;
    const v = args[name];
    return v !== undefined && v !== '-' && v !== '';
  });
}

/** `help` is not a command definition, but its flags are checked like one's. */
const HELP_DEF: CommandShape = { path: ['help'], summary: 'show help', args: [{ name: 'COMMAND', variadic: true, optional: true }] };

function groupHelp(ctx: CommandContext, group: GroupDef, commands: CommandDef[], json: boolean): void {
  if (json) ctx.out.json({ command: group.name, summary: group.summary, subcommands: commands.map((c) => c.path[1]) });
  else printGroupHelp(ctx.out, group, commands);
}

function help(registry: Registry, ctx: CommandContext, topic: string[], json: boolean): number {
  if (topic.length === 0) {
    if (json) {
      const visible = registry.commands.filter((d) => ctx.user.is_admin || !d.adminOnly);
      ctx.out.json(visible.map((d) => ({ command: d.path.join(' '), summary: d.summary })));
    } else printOverview(ctx.out, registry, Boolean(ctx.user.is_admin));
    return 0;
  }
  const found = registry.resolve(topic, true);
  if (found.kind === 'group') groupHelp(ctx, found.group, found.commands, json);
  else if (json) ctx.out.json(helpAsJson(found.def));
  else printCommandHelp(ctx.out, found.def);
  return 0;
}
