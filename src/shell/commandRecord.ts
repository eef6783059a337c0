// What runLine leaves behind for each command: one `command` log line, one count, and for an
// audited command one audit row. Named by the command path only: argument values may be secrets
// (`--anthropic-key=sk-…`), so none reaches the log, the metrics or the audit log, except the
// names an AuditSpec picks from the positional words, and not even those when they look secret.
import type { Log } from '../log.js';
import type { AuditNotes, CommandContext, CommandDef, ParsedArgs } from './types.js';

/** At most this many notes a row: a command noting in a loop must not build a huge detail. */
const MAX_NOTES = 20;

/** Looks like a secret: an API key, a provider key, `key=VALUE`. Such a word never becomes a target. */
const SECRETISH = /(key|token|secret|password)\s*=|\bsk-|\bgk_|^AIza|^eyJ/i;

/** Collects one run's notes (ctx.audit). */
export class RunNotes implements AuditNotes {
  readonly notes: string[] = [];
  targetText: string | undefined;
  subjectId: number | undefined;

  note(text: string): void {
    if (this.notes.length < MAX_NOTES) this.notes.push(text);
  }

  target(text: string): void {
    this.targetText = text;
  }

  subject(userId: number): void {
    this.subjectId = userId;
  }
}

/** For contexts built before a command runs: runLine gives each command its own notes. */
export const UNUSED_NOTES: AuditNotes = { note() {}, target() {}, subject() {} };

export interface Ran {
  def: CommandDef;
  ctx: CommandContext;
  status: number;
  ms: number;
  /** `ok`, an ErrorCode, or undefined when nothing was attempted (a usage error, help). */
  outcome: string | undefined;
  /** The parsed line, once parsed. */
  args: ParsedArgs | undefined;
  notes: RunNotes;
}

export async function recordCommand(r: Ran, log: Log): Promise<void> {
  const path = r.def.path.join(' ');
  const { ctx } = r;
  log.info('command', {
    user: ctx.user.name,
    fingerprint: ctx.origin.fingerprint,
    ...(ctx.origin.address ? { address: ctx.origin.address } : {}),
    command: path,
    exit: r.status,
    duration_ms: Math.round(r.ms),
    interactive: ctx.interactive,
  });
  ctx.services.metrics.command(path, r.status);
  if (r.def.audit === 'read' || r.outcome === undefined) return;
  const spec = r.def.audit === 'admin-read' ? undefined : r.def.audit;
  if (r.args && spec?.readOnly?.(r.args)) return;
  const target = r.notes.targetText ?? (r.args && spec?.target ? spec.target(r.args._.map(unlessSecret)) : undefined);
  await ctx.services.audit.record({
    via: 'ssh',
    actorUserId: ctx.user.id,
    actorName: ctx.user.name,
    fingerprint: ctx.origin.fingerprint,
    address: ctx.origin.address,
    subjectUserId: r.notes.subjectId,
    action: path,
    target,
    detail: r.notes.notes.length ? r.notes.notes.join('; ') : undefined,
    outcome: r.outcome,
  });
}

function unlessSecret(word: string): string {
  return SECRETISH.test(word) ? '[withheld]' : word;
}
