// The audit log's writer: one row per audited event, written before the command's answer is
// final, so `audit` shows it at once. Recording never fails the command it records: a row the
// database refuses is logged (without its detail) and counted, and the command's outcome stands.
// Old rows are pruned in the background; every instance of a fleet may prune, with one result.
import { pruneAudit, insertAuditRow } from '../db/audit.js';
import type { Db } from '../db/open.js';
import type { Log } from '../log.js';
import type { Metrics } from '../ops/metrics.js';

export type AuditVia = 'ssh' | 'cli' | 'system';

/** What happened, by whom, from where. `detail` is constant text the command built: never a secret value. */
export interface AuditEvent {
  via: AuditVia;
  actorUserId: number | null;
  /** The user name, `operator:<os user>` or `system`. */
  actorName: string;
  fingerprint?: string;
  apiKeyName?: string;
  address?: string | null;
  /** Whose account it concerns; the actor's own when absent. */
  subjectUserId?: number | null;
  /** The command path, e.g. `integrations edit`, `user add`, `signup`. */
  action: string;
  target?: string;
  detail?: string;
  /** `ok` or the ErrorCode the command ended with. */
  outcome: string;
}

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

export class AuditLog {
  private readonly pending = new Set<Promise<void>>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly db: Db,
    private readonly options: { instance: string; log: Log; metrics?: Metrics },
  ) {}

  /** Writes one row. Never throws. */
  record(e: AuditEvent): Promise<void> {
    const write = insertAuditRow(this.db, {
      at: new Date().toISOString(),
      instance: this.options.instance,
      via: e.via,
      actor_user_id: e.actorUserId,
      actor_name: e.actorName,
      key_fingerprint: e.fingerprint ?? null,
      api_key_name: e.apiKeyName ?? null,
      address: e.address ?? null,
      subject_user_id: e.subjectUserId === undefined ? e.actorUserId : e.subjectUserId,
      action: e.action,
      target: e.target ?? null,
      detail: e.detail ?? null,
      outcome: e.outcome,
    }).then(
      () => this.options.metrics?.auditEvent(e.outcome),
      (err) => {
        this.options.metrics?.auditEvent('write_failed');
        this.options.log.error('audit write failed', err, { event: e.action, outcome: e.outcome });
      },
    );
    this.pending.add(write);
    void write.finally(() => this.pending.delete(write));
    return write;
  }

  /** Deletes rows older than `days` now, then hourly. */
  startPruning(days: number): void {
    if (this.timer) return;
    const run = () => {
      const cutoff = new Date(Date.now() - days * DAY_MS).toISOString();
      const pruning = pruneAudit(this.db, cutoff).then(
        () => {},
        (err) => this.options.log.warn(`audit pruning failed (retried in an hour): ${(err as Error).message}`),
      );
      this.pending.add(pruning);
      void pruning.finally(() => this.pending.delete(pruning));
    };
    run();
    this.timer = setInterval(run, HOUR_MS).unref();
  }

  /** Stops pruning and waits for the writes in flight (the caller bounds the wait). */
  async close(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await Promise.allSettled([...this.pending]);
  }
}
