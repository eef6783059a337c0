// Opens the database and brings its schema up to date: a SQLite file (WAL, foreign keys, busy
// timeout), or PostgreSQL for a fleet. Safe to open from several processes at once: `gatehouse
// user add` runs beside `serve`, and fleet instances start together (on PostgreSQL kysely's
// migrator takes an advisory lock: one instance migrates, the others wait, then find it done).
import fs from 'node:fs';
import path from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, Migrator, SqliteDialect, type KyselyPlugin, type MigrationProvider } from 'kysely';
import type { DatabaseTarget } from '../config.js';
import { GatehouseError } from '../errors.js';
import { ChangePublisher } from './changePublisher.js';
import type { ChangeSink } from './changeTopics.js';
import { migrations } from './migrations/index.js';
import { openPostgres } from './postgres.js';
import type { Database } from './schema.js';
import { cachingStatements } from './statementCache.js';

export type Db = Kysely<Database>;

export interface OpenOptions {
  /** Told about a PostgreSQL connection that broke while idle in the pool (the pool replaces it). */
  onIdleError?: (err: Error) => void;
  /** Where this handle's writes to watched tables are published (a server's; tools need none). */
  changes?: ChangeSink;
}

/** A file path is a SQLite database (tests and tools pass one). */
export async function openDatabase(target: DatabaseTarget | string, options: OpenOptions = {}): Promise<Db> {
  const plugins = options.changes ? [new ChangePublisher(options.changes)] : [];
  if (typeof target === 'string') return openSqlite(target, plugins);
  if (target.kind === 'sqlite') return openSqlite(target.file, plugins);
  const { db } = await openPostgres({ url: target.url, poolSize: target.poolSize, onIdleError: options.onIdleError ?? (() => {}), plugins });
  try {
    await migrate(db);
  } catch (err) {
    await db.destroy();
    throw err;
  }
  return db;
}

async function openSqlite(file: string, plugins: KyselyPlugin[]): Promise<Db> {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  // Created owner-only: it holds sealed keys and usage. SQLite gives -wal and -shm the same mode.
  try {
    fs.writeFileSync(file, '', { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw new GatehouseError('config', `cannot create database ${file}: ${(err as NodeJS.ErrnoException).code}`);
  }
  let sqlite: SqliteDatabase.Database;
  try {
    sqlite = new SqliteDatabase(file);
  } catch (cause) {
    throw new GatehouseError('config', `cannot open database ${file}: ${(cause as Error).message}`, { cause });
  }
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('busy_timeout = 5000');
  sqlite.pragma('synchronous = NORMAL');
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: cachingStatements(sqlite) }), plugins });
  rawHandles.set(db, sqlite);
  await migrate(db);
  return db;
}

const rawHandles = new WeakMap<Db, SqliteDatabase.Database>();

/** The synchronous SQLite handle behind a Db, for the few writes that must not wait (usage rows). */
export function rawHandle(db: Db): SqliteDatabase.Database {
  const handle = rawHandles.get(db);
  if (!handle) throw new Error('not a SQLite database opened by openDatabase');
  return handle;
}

/** The SQLite handle when the database is SQLite; undefined on PostgreSQL. */
export function sqliteHandle(db: Db): SqliteDatabase.Database | undefined {
  return rawHandles.get(db);
}

const provider: MigrationProvider = { getMigrations: async () => migrations };

async function migrate(db: Db): Promise<void> {
  const { error, results } = await new Migrator({ db, provider }).migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new GatehouseError('config', `database migration ${failed} failed: ${(error as Error).message}`, { cause: error });
  }
}

export function nowIso(): string {
  return new Date().toISOString();
}
