// Queries on usage rows and credit grants.
import { CompiledQuery, sql } from 'kysely';
import { dialectOf } from './dialect.js';
import type SqliteDatabase from 'better-sqlite3';
import { chargeLeases, chargeLeasesNow } from './creditLeases.js';
import type { Db } from './open.js';
import { nowIso, sqliteHandle } from './open.js';
import type { NewUsageRow } from './schema.js';

const USAGE_COLUMNS = ['created_at', 'month', 'request_id', 'user_id', 'vm_id', 'vm_name', 'api_key_id', 'api_key_name', 'integration_id', 'integration_name', 'provider', 'model', 'source', 'api', 'status', 'input_tokens', 'output_tokens', 'cache_read_tokens', 'cache_write_tokens', 'cost_micros', 'latency_ms', 'ttfb_ms', 'session_id', 'team_id'] as const;

/**
 * Writes usage rows in one transaction, which also moves their cost from this instance's credit
 * leases to spent. On SQLite synchronously (undefined returned): a row is either waiting in memory
 * or committed, never "in flight", which keeps the crash-loss bound exact. On PostgreSQL a promise.
 */
export function insertUsageRows(db: Db, rows: NewUsageRow[], instance: string): Promise<void> | undefined {
  const raw = sqliteHandle(db);
  if (raw) return void insertUsage(raw)(db, rows, instance);
  return db.transaction().execute(async (trx) => {
    await trx.executeQuery(pgInsert(rows));
    await chargeLeases(trx, instance, rows);
  });
}

/** Each column's PostgreSQL type, for unnest: one array parameter a column, whatever the row count. */
const PG_TYPES: Record<(typeof USAGE_COLUMNS)[number], string> = {
  created_at: 'text', month: 'text', request_id: 'text', user_id: 'int', vm_id: 'int', vm_name: 'text', api_key_id: 'int', api_key_name: 'text',
  integration_id: 'int', integration_name: 'text', provider: 'text', model: 'text', source: 'text', api: 'text', status: 'int', input_tokens: 'int',
  output_tokens: 'int', cache_read_tokens: 'int', cache_write_tokens: 'int', cost_micros: 'bigint', latency_ms: 'int', ttfb_ms: 'int', session_id: 'text',
  team_id: 'int',
};
/** One fixed statement (PostgreSQL parses and plans it alike every time); a VALUES list built per batch cost ~10 µs of CPU a row here. */
const PG_INSERT = `INSERT INTO usage (${USAGE_COLUMNS.join(', ')}) SELECT * FROM unnest(${USAGE_COLUMNS.map((c, i) => `$${i + 1}::${PG_TYPES[c]}[]`).join(', ')})`;

function pgInsert(rows: NewUsageRow[]): CompiledQuery {
  const columns = USAGE_COLUMNS.map((c) => rows.map((r) => r[c] ?? null));
  return CompiledQuery.raw(PG_INSERT, columns);
}

const ROW = `(${USAGE_COLUMNS.map(() => '?').join(', ')})`;
/** Rows per INSERT statement: one statement per row cost ~40% more CPU per row (measured). */
const ROWS_PER_STATEMENT = 50;
const insertSql = (rows: number) => `INSERT INTO usage (${USAGE_COLUMNS.join(', ')}) VALUES ${Array(rows).fill(ROW).join(', ')}`;
type Insert = (db: Db, rows: NewUsageRow[], instance: string) => void;
const prepared = new WeakMap<object, Insert>();

/** Appends a row's values, in column order, to a statement's parameters. */
function pushValues(params: unknown[], row: NewUsageRow): void {
  for (const c of USAGE_COLUMNS) params.push(row[c] ?? null);
}

/** Prepared statements and one transaction per database, made on first use. */
function insertUsage(sqlite: SqliteDatabase.Database): Insert {
  let insert = prepared.get(sqlite);
  if (!insert) {
    const one = sqlite.prepare(insertSql(1));
    const many = sqlite.prepare(insertSql(ROWS_PER_STATEMENT));
    insert = sqlite.transaction((db: Db, batch: NewUsageRow[], instance: string) => {
      let i = 0;
      for (; i + ROWS_PER_STATEMENT <= batch.length; i += ROWS_PER_STATEMENT) {
        const params: unknown[] = [];
        for (let j = i; j < i + ROWS_PER_STATEMENT; j++) pushValues(params, batch[j]);
        many.run(params);
      }
      for (; i < batch.length; i++) {
        const params: unknown[] = [];
        pushValues(params, batch[i]);
        one.run(params);
      }
      chargeLeasesNow(db, sqlite, instance, batch);
    }) as Insert;
    prepared.set(sqlite, insert);
  }
  return insert;
}

export async function grantsThisMonth(db: Db, userId: number, month: string): Promise<number> {
  const row = await db
    .selectFrom('credit_grants')
    .select((eb) => eb.fn.coalesce(eb.fn.sum<number>('micros'), sql<number>`0`).as('total'))
    .where('user_id', '=', userId)
    .where('month', '=', month)
    .executeTakeFirst();
  return Number(row?.total ?? 0);
}

export async function insertGrant(db: Db, grant: { userId: number; month: string; micros: number; note: string | null; grantedBy: string }): Promise<void> {
  await db
    .insertInto('credit_grants')
    .values({ user_id: grant.userId, month: grant.month, micros: grant.micros, note: grant.note, granted_by: grant.grantedBy, created_at: nowIso() })
    .execute();
}

export type UsageGroup = 'model' | 'day' | 'vm' | 'integration' | 'key' | 'session' | 'user' | 'member';

const GROUP_COLUMN: Record<UsageGroup, string> = {
  model: 'usage.model',
  day: 'substr(usage.created_at, 1, 10)',
  vm: "coalesce(usage.vm_name, '-')",
  integration: 'usage.integration_name',
  key: "coalesce(usage.api_key_name, '-')",
  session: "coalesce(usage.session_id, '-')",
  user: 'users.name',
  member: 'users.name', // a team's report: the member who sent the request
};

export interface UsageSummary {
  group: string;
  requests: number;
  input_tokens: number;
  cache_read_tokens: number;
  cache_write_tokens: number;
  output_tokens: number;
  cost_micros: number;
  /** The part of cost_micros charged to a team (rows through a team integration), not to the sender. */
  team_cost_micros: number;
}

/** Whose rows: a user's own (team traffic included: user_id is the sender), a team's (team_id), or, empty, everyone's. */
export interface UsageScope {
  userId?: number;
  teamId?: number;
}

/** Totals per group for a month; no scope: every user (admin reports). A bare number is a userId (older callers). */
export async function summarizeUsage(db: Db, month: string, group: UsageGroup, scope: UsageScope | number = {}): Promise<UsageSummary[]> {
  const { userId, teamId } = typeof scope === 'number' ? { userId: scope, teamId: undefined } : scope;
  let q = db
    .selectFrom('usage')
    .innerJoin('users', 'users.id', 'usage.user_id')
    .select([
      sql<string>`${sql.raw(GROUP_COLUMN[group])}`.as('group'),
      (eb) => eb.fn.countAll<number>().as('requests'),
      (eb) => eb.fn.sum<number>('usage.input_tokens').as('input_tokens'),
      (eb) => eb.fn.sum<number>('usage.cache_read_tokens').as('cache_read_tokens'),
      (eb) => eb.fn.sum<number>('usage.cache_write_tokens').as('cache_write_tokens'),
      (eb) => eb.fn.sum<number>('usage.output_tokens').as('output_tokens'),
      (eb) => eb.fn.sum<number>('usage.cost_micros').as('cost_micros'),
      sql<number>`coalesce(sum(case when usage.team_id is not null then usage.cost_micros else 0 end), 0)`.as('team_cost_micros'),
    ])
    .where('usage.month', '=', month)
    .groupBy(sql.raw(GROUP_COLUMN[group]))
    // Byte order on both databases, as every listing (db/dialect.ts inByteOrder).
    .orderBy(sql.raw(`${GROUP_COLUMN[group]}${dialectOf(db) === 'postgres' ? ' collate "C"' : ''}`));
  if (userId !== undefined) q = q.where('usage.user_id', '=', userId);
  if (teamId !== undefined) q = q.where('usage.team_id', '=', teamId);
  const rows = await q.execute();
  return rows.map((r) => ({
    group: String(r.group),
    requests: Number(r.requests),
    input_tokens: Number(r.input_tokens),
    cache_read_tokens: Number(r.cache_read_tokens),
    cache_write_tokens: Number(r.cache_write_tokens),
    output_tokens: Number(r.output_tokens),
    cost_micros: Number(r.cost_micros),
    team_cost_micros: Number(r.team_cost_micros),
  }));
}
