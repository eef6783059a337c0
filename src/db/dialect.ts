// What differs between the two databases, in one place: which one a handle talks to, how each
// reports a broken unique constraint, how text is ordered, and how concurrent writers take turns.
import { PostgresAdapter, sql, type Kysely, type RawBuilder, type SelectQueryBuilder } from 'kysely';

export type Dialect = 'sqlite' | 'postgres';

/** Also true inside a transaction: a transaction shares its database's adapter. */
export function dialectOf(db: Kysely<any>): Dialect {
  return db.getExecutor().adapter instanceof PostgresAdapter ? 'postgres' : 'sqlite';
}

/** A unique or primary-key constraint refused the write (a name or key someone else just took). */
export function isUniqueViolation(err: unknown): boolean {
  const code = String((err as { code?: unknown })?.code ?? '');
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

/** A foreign key refused the write: the row it points at (a VM, a user) was removed meanwhile. */
export function isForeignKeyViolation(err: unknown): boolean {
  const code = String((err as { code?: unknown })?.code ?? '');
  return code === '23503' || code === 'SQLITE_CONSTRAINT_FOREIGNKEY';
}

/** Any constraint (unique, foreign key, not null, check) refused the write: retrying it cannot help. */
export function isConstraintViolation(err: unknown): boolean {
  const code = String((err as { code?: unknown })?.code ?? '');
  return code.startsWith('SQLITE_CONSTRAINT') || /^23\d{3}$/.test(code);
}

/**
 * The database refuses this row for what it holds, so retrying it can never help: a constraint,
 * or on PostgreSQL a data exception (SQLSTATE class 22: a value too long for its column, a NUL
 * in text, a number out of range, invalid UTF-8). Class 08 (connection) or 57 (shutdown) are not.
 */
export function isRowRefused(err: unknown): boolean {
  const code = String((err as { code?: unknown })?.code ?? '');
  return isConstraintViolation(err) || /^22[0-9A-Z]{3}$/.test(code);
}

/**
 * A text column to ORDER BY, compared byte by byte on both databases: SQLite's default (BINARY)
 * and PostgreSQL's "C" collation. Left to the database's own collation, PostgreSQL would put "B"
 * after "a", "_" before "-" (ICU) or ignore hyphens (glibc en_US), so a listing would come out in
 * another order on each database, and on each server's locale. Byte order of UTF-8 is code point
 * order: for the ASCII names we allow, the order of JavaScript's default sort too.
 */
export function inByteOrder(db: Kysely<any>, column: string): RawBuilder<string> {
  return dialectOf(db) === 'postgres' ? sql<string>`${sql.ref(column)} collate "C"` : sql<string>`${sql.ref(column)}`;
}

/**
 * Check-then-write sequences that must take turns: one lock per topic (and id), held until the
 * transaction ends. Take it before the check, in the transaction that writes.
 * - PostgreSQL: a transaction-scoped advisory lock, so the turn holds across the pool's connections
 *   and across instances; at READ COMMITTED (PostgreSQL's default, which gatehouse keeps) each read
 *   after it sees what the previous holder committed.
 *   (Two-key advisory locks never collide with the one-key lock kysely's migrator takes.)
 * - SQLite: nothing to do. In one process kysely runs a transaction on the only connection, so no
 *   other statement interleaves; another process that read before our commit cannot write after
 *   it (SQLITE_BUSY_SNAPSHOT): it fails rather than act on what it read.
 */
export async function takeTurn(trx: Kysely<any>, topic: keyof typeof TURNS, id = 0): Promise<void> {
  if (dialectOf(trx) !== 'postgres') return;
  await sql`select pg_advisory_xact_lock(${TURNS[topic]}::int4, ${id}::int4)`.execute(trx);
}

/** Stable numbers: instances of different versions in one fleet must agree on them. */
const TURNS = {
  /** The first account of an installation becomes admin: exactly one. */
  firstAdmin: 0x67680001,
  /** Picking a free VM address from the pool. */
  vmAddress: 0x67680002,
  /** A user's SSH keys: the last one is never removed. */
  sshKeys: 0x67680003,
  /** A user's rate-limit overrides: read, merged, written. */
  userLimits: 0x67680004,
  /** Refreshing one ChatGPT account's tokens (id: the account row): refresh tokens are single-use. */
  chatgptRefresh: 0x67680005,
  /** A team's integration names (id: the team): its own and its members' personal ones are one namespace. */
  teamNames: 0x67680006,
} as const;

/**
 * Locks the rows a select returns until the transaction ends, for a read-modify-write (PostgreSQL:
 * FOR UPDATE; a concurrent update or delete of them waits). SQLite needs no lock: see takeTurn.
 * Use as `.$call(forUpdate(trx))`.
 */
export function forUpdate(db: Kysely<any>) {
  return <Q extends SelectQueryBuilder<any, any, any>>(query: Q): Q => (dialectOf(db) === 'postgres' ? (query.forUpdate() as Q) : query);
}
