// The PostgreSQL side of openDatabase: a pg pool behind kysely's Postgres dialect. Counts and
// sums come back as numbers, as they do from SQLite (pg gives 64-bit integers as strings).
import pg from 'pg';
import { Kysely, PostgresDialect, type KyselyPlugin } from 'kysely';
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
  const pool = new pg.Pool({ connectionString: options.url, max: options.poolSize, types, connectionTimeoutMillis: 10_000, idleTimeoutMillis: 30_000 });
  pool.on('error', options.onIdleError);
  return pool;
}

/** A client outside the pool, for LISTEN (it must stay one session; TCP keep-alive notices a silently dead peer). */
export function postgresClient(url: string): pg.Client {
  return new pg.Client({ connectionString: url, types, connectionTimeoutMillis: 10_000, keepAlive: true });
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
  return { db: new Kysely<Database>({ dialect: new PostgresDialect({ pool }), plugins: options.plugins }), pool };
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
