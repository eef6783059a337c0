// Usage rows are written off the request path, in batches: at least every FLUSH_MS, as soon as
// BATCH rows are waiting, and on shutdown. Each batch is one transaction, which also moves the
// rows' cost from this instance's credit leases to spent (src/core/credits.ts).
//
// What a crash (kill -9) of one instance loses, per instance:
// - SQLite: each write is synchronous and atomic, so only the rows still waiting in memory: those
//   of requests that finished in the last FLUSH_MS, and never more than BATCH - 1 rows.
// - PostgreSQL: writes are asynchronous, one in flight at a time; rows that finish meanwhile wait
//   for the next one. A crash loses the rows of requests that finished in the last FLUSH_MS (or
//   since the write in flight began, if it has taken longer), plus at most the one batch being
//   written (its transaction is rolled back). With the database answering, a write takes
//   milliseconds, so in practice: the last FLUSH_MS of rows plus one batch.
// - While the database is unreachable, rows are kept in memory for retry, up to BACKLOG_CAP;
//   beyond it the oldest are dropped, with a log line. A crash then loses the backlog too.
// - While a write hangs (a database that accepts connections but does not answer), rows wait in
//   memory up to BACKLOG_CAP too: add() drops the oldest beyond it.
// A row the database refuses (a constraint, or a value it cannot store: SQLSTATE class 22) is
// dropped alone, with a log line: it never blocks the others.
import type { Db } from '../db/open.js';
import { isRowRefused } from '../db/dialect.js';
import type { NewUsageRow } from '../db/schema.js';
import { insertUsageRows } from '../db/usage.js';
import type { Log } from '../log.js';

export const BATCH = 100; // small batches: each SQLite write blocks the event loop for well under a millisecond
export const FLUSH_MS = 1000;
export const BACKLOG_CAP = 10 * BATCH;

export interface WriterOptions {
  flushMs?: number;
  /** This instance's id: the credit leases whose outstanding the rows' cost comes off. */
  instance?: string;
  /** Told about every row once it is committed (true) or dropped (false). */
  onDone?: (rows: NewUsageRow[], committed: boolean) => void;
  /** Told how long each batch write took (start to commit or failure), for the metrics. */
  onFlush?: (seconds: number, rows: number, ok: boolean) => void;
  /** Told about rows dropped: beyond the backlog cap, or refused by the database. */
  onDropped?: (rows: number) => void;
}

export class UsageWriter {
  private pending: NewUsageRow[] = [];
  private writing: Promise<void> | undefined;
  private inFlight = 0;
  private failures = 0;
  /** Rows were dropped for the cap since the last commit: one log line per outage. */
  private dropping = false;
  private readonly timer: NodeJS.Timeout;
  private readonly instance: string;
  private readonly onDone: (rows: NewUsageRow[], committed: boolean) => void;
  private readonly onFlush: (seconds: number, rows: number, ok: boolean) => void;
  private readonly onDropped: (rows: number) => void;

  constructor(
    private readonly db: Db,
    private readonly log: Log,
    options: WriterOptions = {},
  ) {
    this.instance = options.instance ?? 'single';
    this.onDone = options.onDone ?? (() => {});
    this.onFlush = options.onFlush ?? (() => {});
    this.onDropped = options.onDropped ?? (() => {});
    this.timer = setInterval(() => this.write(), options.flushMs ?? FLUSH_MS);
    this.timer.unref();
  }

  /** Rows accepted but not yet committed (waiting, or in the write in flight). */
  get unwritten(): number {
    return this.pending.length + this.inFlight;
  }

  add(row: NewUsageRow): void {
    this.pending.push(row);
    if (this.pending.length > BACKLOG_CAP) this.drop(this.pending.splice(0, this.pending.length - BACKLOG_CAP));
    if (this.pending.length >= BATCH) this.write();
  }

  /**
   * Commits every row added before the call (or keeps it for retry if the database fails).
   * On SQLite the write is done before this returns, awaited or not.
   */
  async flush(): Promise<void> {
    if (this.writing) await this.writing;
    this.write();
    if (this.writing) await this.writing;
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }

  /** Starts writing every waiting row, unless a write is in flight (they wait for the next one). */
  private write(): void {
    if (this.writing || this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    const started = performance.now();
    const timed = (ok: boolean) => this.onFlush((performance.now() - started) / 1000, batch.length, ok);
    let done: Promise<void> | undefined;
    try {
      done = insertUsageRows(this.db, batch, this.instance);
    } catch (err) {
      timed(false);
      return void this.failed(batch, err); // SQLite: synchronous, and so is everything after it
    }
    if (!done) {
      timed(true);
      return this.committed(batch);
    }
    this.inFlight = batch.length;
    this.writing = done
      .then(
        () => (timed(true), this.committed(batch)),
        (err) => (timed(false), this.failed(batch, err)),
      )
      .finally(() => {
        this.writing = undefined;
        this.inFlight = 0;
        // More rows came while writing: on at once, unless the database is failing (then the timer retries).
        if (this.pending.length >= BATCH && this.failures === 0) this.write();
      });
  }

  private committed(rows: NewUsageRow[]): void {
    if (this.failures > 0) this.log.info(`usage rows are written again (after ${this.failures} failed attempts)`);
    this.failures = 0;
    this.dropping = false;
    this.onDone(rows, true);
  }

  private failed(batch: NewUsageRow[], err: unknown): Promise<void> | void {
    if (isRowRefused(err)) return this.oneByOne(batch, 0);
    this.keep(batch, err);
  }

  /** One row the database refuses must not hold back, or lose, the others. */
  private oneByOne(batch: NewUsageRow[], from: number): Promise<void> | void {
    for (let i = from; i < batch.length; i++) {
      let done: Promise<void> | undefined;
      try {
        done = insertUsageRows(this.db, [batch[i]], this.instance);
      } catch (err) {
        if (this.refused(batch, i, err)) continue;
        return;
      }
      if (done) {
        return done.then(
          () => (this.committed([batch[i]]), this.oneByOne(batch, i + 1)),
          (err) => (this.refused(batch, i, err) ? this.oneByOne(batch, i + 1) : undefined),
        );
      }
      this.committed([batch[i]]);
    }
  }

  /** True when row i was dropped (refused for what it holds); otherwise the rows from i on are kept for retry. */
  private refused(batch: NewUsageRow[], i: number, err: unknown): boolean {
    if (!isRowRefused(err)) {
      this.keep(batch.slice(i), err);
      return false;
    }
    const row = batch[i];
    this.log.error(`dropping a usage row the database refuses (user ${row.user_id}, request ${row.request_id})`, err);
    this.onDropped(1);
    this.onDone([row], false);
    return true;
  }

  /** Keeps failed rows for the next attempt, up to BACKLOG_CAP rows in all (the oldest go first). */
  private keep(rows: NewUsageRow[], err: unknown): void {
    const all = rows.concat(this.pending);
    const over = Math.max(0, all.length - BACKLOG_CAP);
    this.pending = all.slice(over);
    if (this.failures++ === 0) this.log.error(`writing ${rows.length} usage rows failed; keeping up to ${BACKLOG_CAP} rows in memory and retrying every flush`, err);
    if (over > 0) this.drop(all.slice(0, over));
  }

  /** Rows beyond BACKLOG_CAP, oldest first, go: logged once until rows are written again. */
  private drop(rows: NewUsageRow[]): void {
    if (!this.dropping) this.log.error(`dropping the oldest usage rows: more than ${BACKLOG_CAP} are waiting for the database (logged once until it answers again)`);
    this.dropping = true;
    this.onDropped(rows.length);
    this.onDone(rows, false);
  }
}
