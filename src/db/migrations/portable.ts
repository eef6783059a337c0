// Column spellings that differ between SQLite and PostgreSQL, so one list of migrations serves
// both. On SQLite every helper gives exactly what the migrations said before PostgreSQL existed,
// so databases made by earlier versions match new ones.
import type { CreateTableBuilder, Kysely } from 'kysely';
import { dialectOf } from '../dialect.js';

/** An auto-numbered primary key `id`: INTEGER PRIMARY KEY AUTOINCREMENT / SERIAL (BIGSERIAL when `big`). */
export function withId(db: Kysely<any>, big = false) {
  return <T extends string>(table: CreateTableBuilder<T, any>): CreateTableBuilder<T, any> =>
    dialectOf(db) === 'postgres'
      ? table.addColumn('id', big ? 'bigserial' : 'serial', (c) => c.primaryKey())
      : table.addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement());
}

/** Money in micro-dollars: SQLite's integer is 64-bit already; PostgreSQL's is 32 (2,147 USD). */
export function microsType(db: Kysely<any>): 'integer' | 'bigint' {
  return dialectOf(db) === 'postgres' ? 'bigint' : 'integer';
}
