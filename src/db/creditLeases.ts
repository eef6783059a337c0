// Queries on credit leases (the rules are in src/core/credits.ts). Every change to a lease row is
// a delta (outstanding + x), never an absolute value, so the instance's in-memory copy of its own
// lease stays equal to the row whatever order its top-ups, returns and usage writes commit in.
// On SQLite the statements run on the synchronous handle: a transaction there can never have a
// usage write interleaved between its statements (they share one connection).
import { sql, type CompiledQuery, type Kysely, type Transaction } from 'kysely';
import type SqliteDatabase from 'better-sqlite3';
import type { Db } from './open.js';
import { sqliteHandle } from './open.js';
import type { Database, NewUsageRow } from './schema.js';

export interface LeaseBalance {
  granted: number;
  /** The cost of every usage row written this month, by any instance. */
  spent: number;
  /** What other instances hold in unexpired leases. */
  others: number;
  /** This instance's outstanding (may be negative: rows written beyond an expired lease). */
  own: number;
}

/** Turns a balance into the change to make to this instance's outstanding (0: none). */
export type LeasePolicy = (balance: LeaseBalance) => number;

const LOCK_CLASS = 7007; // pg_advisory_xact_lock(class, user): one top-up per user at a time, fleet-wide
const INSTANCE_LOCK_CLASS = 7008;

/**
 * A usage write and a lease renewal of one instance both change several of its lease rows; taken
 * first in both, this lock keeps them from locking the same rows in opposite orders (a deadlock).
 */
async function lockInstance(trx: Transaction<Database>, instance: string): Promise<void> {
  await sql`SELECT pg_advisory_xact_lock(${sql.lit(INSTANCE_LOCK_CLASS)}, hashtext(${instance}))`.execute(trx);
}

function balanceQuery(db: Kysely<Database>, userId: number, month: string, instance: string, now: string): CompiledQuery {
  return sql`SELECT
      (SELECT coalesce(sum(micros), 0) FROM credit_grants WHERE user_id = ${userId} AND month = ${month}) AS granted,
      coalesce(sum(spent_micros), 0) AS spent,
      coalesce(sum(CASE WHEN instance <> ${instance} AND expires_at > ${now} AND outstanding_micros > 0 THEN outstanding_micros ELSE 0 END), 0) AS others,
      coalesce(sum(CASE WHEN instance = ${instance} THEN outstanding_micros ELSE 0 END), 0) AS own
    FROM credit_leases WHERE user_id = ${userId} AND month = ${month}`.compile(db);
}

interface LeaseChange {
  userId: number;
  month: string;
  delta: number;
  spent: number;
  expiresAt: string;
}

/** Adds to outstanding and spent (creating the row if need be); expires_at only moves forward. */
function addOutstanding(db: Kysely<Database>, instance: string, changes: LeaseChange[]): CompiledQuery {
  return db
    .insertInto('credit_leases')
    .values(changes.map((c) => ({ user_id: c.userId, month: c.month, instance, outstanding_micros: c.delta, spent_micros: c.spent, expires_at: c.expiresAt })))
    .onConflict((oc) =>
      oc.columns(['user_id', 'month', 'instance']).doUpdateSet({
        outstanding_micros: sql`credit_leases.outstanding_micros + excluded.outstanding_micros`,
        spent_micros: sql`credit_leases.spent_micros + excluded.spent_micros`,
        expires_at: sql`CASE WHEN excluded.expires_at > credit_leases.expires_at THEN excluded.expires_at ELSE credit_leases.expires_at END`,
      }),
    )
    .compile();
}

const statements = new WeakMap<SqliteDatabase.Database, Map<string, SqliteDatabase.Statement>>();

function prepared(raw: SqliteDatabase.Database, q: CompiledQuery): SqliteDatabase.Statement {
  let cache = statements.get(raw);
  if (!cache) statements.set(raw, (cache = new Map()));
  let stmt = cache.get(q.sql);
  if (!stmt) cache.set(q.sql, (stmt = raw.prepare(q.sql)));
  return stmt;
}

const numbers = (r: Record<string, unknown>): LeaseBalance => ({ granted: Number(r.granted), spent: Number(r.spent), others: Number(r.others), own: Number(r.own) });

/**
 * Reads the user's balance and applies `policy`'s change to this instance's lease, renewing it,
 * in one transaction serialised per user across the fleet. Returns the change made.
 */
export async function topUpLease(db: Db, userId: number, month: string, instance: string, times: { now: string; expiresAt: string }, policy: LeasePolicy): Promise<number> {
  const raw = sqliteHandle(db);
  if (raw) {
    return raw
      .transaction(() => {
        const read = balanceQuery(db, userId, month, instance, times.now);
        const delta = policy(numbers(prepared(raw, read).get(...q(read)) as Record<string, unknown>));
        const add = addOutstanding(db, instance, [{ userId, month, delta, spent: 0, expiresAt: times.expiresAt }]);
        prepared(raw, add).run(...q(add));
        return delta;
      })
      .immediate();
  }
  return db.transaction().execute(async (trx) => {
    await sql`SELECT pg_advisory_xact_lock(${sql.lit(LOCK_CLASS)}, ${userId})`.execute(trx);
    const { rows } = await trx.executeQuery<Record<string, unknown>>(balanceQuery(trx, userId, month, instance, times.now));
    const delta = policy(numbers(rows[0]));
    await trx.executeQuery(addOutstanding(trx, instance, [{ userId, month, delta, spent: 0, expiresAt: times.expiresAt }]));
    return delta;
  });
}

const q = (c: CompiledQuery): unknown[] => c.parameters as unknown[];

/** The user's balance this month as the database has it (reports). */
export async function leaseBalance(db: Db, userId: number, month: string, instance: string, now: string): Promise<LeaseBalance> {
  const { rows } = await db.executeQuery<Record<string, unknown>>(balanceQuery(db, userId, month, instance, now));
  return numbers(rows[0]);
}

/**
 * Gives back part of this instance's leases (`micros` each) and renews the rest, in one transaction.
 * Renewed are only leases still admitting (expiring after `admitsUntil`: now + RENEW_MARGIN_MS)
 * with something outstanding. A lapsed lease may have been leased again by another instance: it
 * comes back only through a top-up, which counts the others under the per-user lock. A return
 * never moves expires_at (expiresAt '' in addOutstanding).
 */
export async function returnAndRenew(db: Db, instance: string, month: string, returns: { userId: number; micros: number }[], times: { admitsUntil: string; expiresAt: string }): Promise<void> {
  const build = (k: Kysely<Database>): CompiledQuery[] => [
    ...returns.map((r) => addOutstanding(k, instance, [{ userId: r.userId, month, delta: -r.micros, spent: 0, expiresAt: '' }])),
    k
      .updateTable('credit_leases')
      .set({ expires_at: times.expiresAt })
      .where('instance', '=', instance)
      .where('month', '=', month)
      .where('outstanding_micros', '>', 0)
      .where('expires_at', '>', times.admitsUntil)
      .where('expires_at', '<', times.expiresAt)
      .compile(),
  ];
  const raw = sqliteHandle(db);
  if (raw) return void raw.transaction(() => build(db).forEach((c) => prepared(raw, c).run(...q(c))))();
  await db.transaction().execute(async (trx) => {
    await lockInstance(trx, instance);
    for (const c of build(trx)) await trx.executeQuery(c);
  });
}

/**
 * Whose balance a usage row's cost comes off: the team's when a team integration served it (the
 * team's id is its hidden account's, migration 0014), else the member's own.
 */
export const payerOf = (row: Pick<NewUsageRow, 'user_id' | 'team_id'>): number => row.team_id ?? row.user_id;

/** The charged cost of a batch of usage rows, per payer and month. */
export function costsOf(rows: NewUsageRow[]): { userId: number; month: string; micros: number }[] {
  const sums = new Map<string, { userId: number; month: string; micros: number }>();
  for (const r of rows) {
    if (!(r.cost_micros > 0)) continue;
    const payer = payerOf(r);
    const k = `${payer} ${r.month}`;
    const s = sums.get(k);
    if (s) s.micros += r.cost_micros;
    else sums.set(k, { userId: payer, month: r.month, micros: r.cost_micros });
  }
  return [...sums.values()];
}

/** In the usage rows' own (synchronous SQLite) transaction: their cost moves from outstanding to spent. */
export function chargeLeasesNow(db: Db, raw: SqliteDatabase.Database, instance: string, rows: NewUsageRow[]): void {
  for (const c of costsOf(rows)) {
    const add = addOutstanding(db, instance, [charge(c)]);
    prepared(raw, add).run(...q(add));
  }
}

const charge = (c: { userId: number; month: string; micros: number }): LeaseChange => ({ userId: c.userId, month: c.month, delta: -c.micros, spent: c.micros, expiresAt: '' });

/** The same inside the usage rows' PostgreSQL transaction. */
export async function chargeLeases(trx: Transaction<Database>, instance: string, rows: NewUsageRow[]): Promise<void> {
  const costs = costsOf(rows);
  if (costs.length === 0) return;
  await lockInstance(trx, instance);
  await trx.executeQuery(addOutstanding(trx, instance, costs.map(charge)));
}
