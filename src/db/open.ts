// Opens the SQLite database (WAL, foreign keys, busy timeout) and brings its schema up to date.
// Safe to open from several processes at once: `gatehouse user add` runs beside `serve`.
import fs from 'node:fs';
import path from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, Migrator, SqliteDialect, type MigrationProvider } from 'kysely';
import { GatehouseError } from '../errors.js';
import { migrations } from './migrations/index.js';
import type { Database } from './schema.js';
import { cachingStatements } from './statementCache.js';

export type Db = Kysely<Database>;

export async function openDatabase(file: string): Promise<Db> {
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
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: cachingStatements(sqlite) }) });
  rawHandles.set(db, sqlite);
  await migrate(db);
  return db;
}

const rawHandles = new WeakMap<Db, SqliteDatabase.Database>();

/** The synchronous SQLite handle behind a Db, for the few writes that must not wait (usage rows). */
export function rawHandle(db: Db): SqliteDatabase.Database {
  const handle = rawHandles.get(db);
  if (!handle) throw new Error('not a database opened by openDatabase');
  return handle;
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
