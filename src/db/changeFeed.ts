// The fleet's change feed (PostgreSQL only): one dedicated connection LISTENs on the channel that
// migration 0006's triggers notify, and each notification becomes a local changes.emit(topic),
// never published again. Every writer publishes (another instance, `gatehouse user add`, psql),
// and only at commit. This instance's own writes come back too: their caches are invalidated a
// second time, which is also what repairs a rebuild that read the rows of before the commit
// (db/changePublisher.ts publishes right after the statement, before the commit).
//
// Nothing may be missed for long. When the connection errors or ends, it is reopened with backoff
// (100 ms doubling to 5 s) and then every topic is emitted: anything may have changed meanwhile.
// And every `checkMs` the sequence behind the notifications is read through the pool: if it moved
// past every number a notification told us, one was missed (a connection dead without an error),
// so every topic is emitted now, and again on the next tick, in case the transaction that drew
// that number had not committed yet and a rebuild still read the rows of before.
import pg from 'pg';
import { sql } from 'kysely';
import { isChangeTopic, type ChangeSink } from './changeTopics.js';
import type { Db } from './open.js';
import { postgresClient } from './postgres.js';

export const CHANNEL = 'gatehouse_changes';
const BACKOFF_MIN_MS = 100;
const BACKOFF_MAX_MS = 5_000;
const PAYLOAD = /^([a-z_]{1,32}):(\d{1,15})$/;

export interface ChangeFeedOptions {
  url: string;
  /** The instance's pool, for the version check. */
  db: Db;
  changes: ChangeSink;
  log: { warn(message: string): void };
  checkMs: number;
}

export class ChangeFeed {
  private client?: pg.Client;
  private stopped = false;
  private lostAt?: number;
  private attempts = 0;
  private reconnectTimer?: NodeJS.Timeout;
  private checkTimer?: NodeJS.Timeout;
  private checking?: Promise<void>;
  private connecting?: Promise<Error | undefined>;
  /** The highest change number a notification (or a check) accounted for. */
  private known = 0;
  private emitNextTick = false;
  private checkFailing = false;

  private constructor(private readonly options: ChangeFeedOptions) {}

  /** Listens and starts the periodic check; a first connection that fails is retried like a lost one. */
  static async start(options: ChangeFeedOptions): Promise<ChangeFeed> {
    const feed = new ChangeFeed(options);
    feed.known = (await feed.version()) ?? 0;
    const failed = await feed.connect();
    if (failed) feed.lost(failed);
    feed.checkTimer = setInterval(() => void (feed.checking ??= feed.check().finally(() => (feed.checking = undefined))), options.checkMs);
    return feed;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.checkTimer);
    clearTimeout(this.reconnectTimer);
    const client = this.client;
    this.client = undefined;
    await Promise.all([this.checking, this.connecting, client && abandon(client)]);
  }

  /** Opens a listening connection; the error (and nothing left open) when it could not. */
  private async connect(): Promise<Error | undefined> {
    const client = postgresClient(this.options.url);
    client.on('error', (err) => this.lost(err, client));
    client.on('end', () => this.lost(new Error('connection ended'), client));
    client.on('notification', (msg) => this.notified(msg.channel, msg.payload));
    try {
      await client.connect();
      await client.query(`LISTEN ${CHANNEL}`);
    } catch (err) {
      await abandon(client);
      return err as Error;
    }
    if (this.stopped) await abandon(client);
    else this.client = client;
    return undefined;
  }

  private lost(err: Error, client?: pg.Client): void {
    if (this.stopped || (client && client !== this.client)) return;
    if (client) {
      this.client = undefined;
      void abandon(client);
    }
    if (this.lostAt === undefined) {
      this.lostAt = Date.now();
      this.options.log.warn(`change listener lost (${describe(err)}); reconnecting, and checking the change version every ${this.options.checkMs} ms meanwhile`);
    }
    const delay = Math.min(BACKOFF_MIN_MS * 2 ** this.attempts, BACKOFF_MAX_MS);
    this.attempts++;
    this.reconnectTimer = setTimeout(() => void this.reconnect(), delay);
  }

  private async reconnect(): Promise<void> {
    if (this.stopped) return;
    this.connecting = this.connect();
    const failed = await this.connecting;
    this.connecting = undefined;
    if (failed) return this.lost(failed);
    if (this.stopped) return;
    this.options.log.warn(`change listener regained after ${Date.now() - this.lostAt!} ms (${this.attempts} attempt${this.attempts === 1 ? '' : 's'})`);
    this.lostAt = undefined;
    this.attempts = 0;
    // Listening again: whatever changed while we were not is invisible now, so assume everything did.
    this.options.changes.emitAll();
  }

  /** A notification: "<topic>:<n>". Unknown topics (a newer version's) only count; malformed ones are ignored. */
  private notified(channel: string, payload: string | undefined): void {
    if (this.stopped || channel !== CHANNEL) return;
    const match = PAYLOAD.exec(payload ?? '');
    if (!match) return;
    this.known = Math.max(this.known, Number(match[2]));
    if (isChangeTopic(match[1])) this.options.changes.emit(match[1]);
  }

  /** The periodic check: has the fleet's change number moved past what the notifications told us? */
  private async check(): Promise<void> {
    const version = await this.version();
    if (version === undefined || this.stopped) return;
    const missed = version > this.known;
    if (missed || this.emitNextTick) this.options.changes.emitAll();
    this.emitNextTick = missed;
    // The sequence, not the notifications, is the truth: a number from the future (a hand-made
    // NOTIFY) must not blind the check. A commit that lands while this query runs may make the
    // next tick emit once for nothing; that only costs a rebuild.
    this.known = version;
  }

  /** The last number the triggers drew; undefined when the database cannot be read (checked again next tick). */
  private async version(): Promise<number | undefined> {
    try {
      const { rows } = await sql<{ last_value: number; is_called: boolean }>`SELECT last_value, is_called FROM gatehouse_change_seq`.execute(this.options.db);
      this.checkFailing = false;
      return rows[0].is_called ? Number(rows[0].last_value) : 0;
    } catch (err) {
      if (!this.checkFailing) this.options.log.warn(`change version check failed (${describe(err as Error)}); retrying every ${this.options.checkMs} ms`);
      this.checkFailing = true;
      return undefined;
    }
  }
}

/** Closes a connection we no longer listen on; a late error on it must not crash the process. */
function abandon(client: pg.Client): Promise<void> {
  client.removeAllListeners();
  client.on('error', () => {});
  return client.end().catch(() => {});
}

/** An error's code and message: pg's never carry the connection URL or its password. */
function describe(err: Error): string {
  const code = (err as { code?: string }).code;
  return code ? `${code}: ${err.message}` : err.message;
}
