// The PostgreSQL side of openDatabase: a pg pool behind kysely's Postgres dialect. Counts and
// sums come back as numbers, as they do from SQLite (pg gives 64-bit integers as strings). A
// database that does not answer (down, restarting, connection cut) is a GatehouseError
// 'unavailable' — "try again shortly" at the shell, 503 at the gateway —, not an internal error.
import pg from 'pg';
import { Kysely, PostgresDialect, type KyselyPlugin, type PostgresPool, type PostgresPoolClient } from 'kysely';
import { GatehouseError } from '../errors.js';
import type { Database } from './schema.js';

const INT8 = 20;
const NUMERIC = 1700;

/** Every integer we store or sum stays far below 2^53 (micro-dollars, token counts). */
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8 || oid === NUMERIC ? (value: string) => Number(value) : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
};

export interface PostgresOptions {
  url: string;
  poolSize: number;
  /** Told about a pooled connection that broke while idle (pg would otherwise crash the process). */
  onIdleError: (err: Error) => void;
  plugins?: KyselyPlugin[];
}

export function postgresPool(options: PostgresOptions): pg.Pool {
  const pool = new pg.Pool({ connectionString: options.url, max: options.poolSize, types, ...BOUNDED, idleTimeoutMillis: 30_000 });
  pool.on('error', options.onIdleError);
  return pool;
}

/**
 * A database that stops answering without closing the connection (a host gone, a firewall dropping
 * packets) must not hold a query forever: a usage write, a command or the change check fails after
 * QUERY_TIMEOUT_MS, and TCP keep-alive probes from 10 s of silence on notice the dead peer.
 * (Migrations are quick; an instance waiting for another's migration lock waits less than this.)
 */
const QUERY_TIMEOUT_MS = 60_000;
const BOUNDED = { connectionTimeoutMillis: 10_000, query_timeout: QUERY_TIMEOUT_MS, keepAlive: true, keepAliveInitialDelayMillis: 10_000 };

/** A client outside the pool, for LISTEN (it must stay one session). */
export function postgresClient(url: string): pg.Client {
  return new pg.Client({ connectionString: url, types, ...BOUNDED });
}

export async function openPostgres(options: PostgresOptions): Promise<{ db: Kysely<Database>; pool: pg.Pool }> {
  const pool = postgresPool(options);
  try {
    // Fail here, with a clear message, rather than at the first command.
    const client = await pool.connect();
    client.release();
  } catch (cause) {
    await pool.end().catch(() => {});
    throw new GatehouseError('config', `cannot connect to PostgreSQL: ${reason(cause, options.url)}`, {
      hint: 'check the database URL (GATEHOUSE_DATABASE_URL or --database-url: host, port, database, user) and that PostgreSQL is running there',
      cause,
    });
  }
  return { db: new Kysely<Database>({ dialect: new PostgresDialect({ pool: reportingUnavailable(pool) }), plugins: options.plugins }), pool };
}

/** Connection-level failures: the database, not the query, is the problem (SQLSTATE classes 08 and 57P). */
export function isUnreachable(err: unknown): boolean {
  const { code, message } = (err ?? {}) as { code?: unknown; message?: unknown };
  if (/^(08|57P)/.test(String(code ?? ''))) return true;
  if (/Query read timeout/i.test(String(message ?? ''))) return true;
  if (['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE'].includes(String(code))) return true;
  return /Connection terminated|timeout exceeded when trying to connect|connection error|Connection refused/i.test(String(message ?? ''));
}

function unavailable(cause: unknown): GatehouseError {
  return new GatehouseError('unavailable', 'the database is not answering; try again shortly', { cause });
}

/** The pool as kysely sees it, with connection-level failures turned into 'unavailable'. */
function reportingUnavailable(pool: pg.Pool): PostgresPool {
  const translate = (err: unknown) => {
    throw isUnreachable(err) ? unavailable(err) : err;
  };
  return {
    async connect(): Promise<PostgresPoolClient> {
      // Whatever stops a new connection (refused, cut, a database not accepting connections right now)
      // is about the database, never about the query that wanted it.
      const client = await pool.connect().catch((err: unknown) => {
        throw unavailable(err);
      });
      return {
        query: ((...args: unknown[]) => {
          const result = (client.query as (...a: unknown[]) => unknown)(...args);
          return result instanceof Promise ? result.catch(translate) : result; // a cursor is returned as is
        }) as PostgresPoolClient['query'],
        release: (destroy?: boolean) => client.release(destroy),
      };
    },
    end: () => pool.end(),
  };
}

/** pg's reason for a failed connection, one line, never with the URL's password in it. */
function reason(cause: unknown, url: string): string {
  const err = cause as { message?: string; code?: string };
  let text = (err.message || err.code || 'unknown error').split('\n')[0];
  const raw = new URL(url).password;
  for (const password of [raw, safeDecode(raw)]) if (password) text = text.split(password).join('***');
  return text;
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
