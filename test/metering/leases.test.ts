// Credit leases in the database (issue 12.3), on both dialects: a database that already has usage
// gets it counted by the 0007 migration; usage writes move cost from outstanding to spent in the
// rows' own transaction; a top-up never leases what another instance holds.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { Kysely, Migrator, PostgresDialect, SqliteDialect } from 'kysely';
import Database from 'better-sqlite3';
import pg from 'pg';
import { createAccount } from '../../src/core/accounts.js';
import { parsePublicKey } from '../../src/core/publicKey.js';
import { LEASE_TTL_MS, returnAndRenewLeases, type Lease } from '../../src/core/creditLease.js';
import { leaseBalance, topUpLease } from '../../src/db/creditLeases.js';
import { migrations } from '../../src/db/migrations/index.js';
import { openDatabase, type Db } from '../../src/db/open.js';
import { insertUsageRows } from '../../src/db/usage.js';
import { DATABASES } from '../helpers/databases.js';
import { tempDir } from '../helpers/gatehouse.js';
import { newKey } from '../helpers/ssh.js';

const MONTH = new Date().toISOString().slice(0, 7);
const LATER = new Date(Date.now() + 60_000).toISOString();
const NOW = new Date().toISOString();
const times = { now: NOW, expiresAt: LATER };

function row(userId: number, cost: number, i: number) {
  return {
    created_at: NOW, month: MONTH, request_id: `r${i}`, user_id: userId, vm_id: null, vm_name: null, api_key_id: null, api_key_name: null, integration_id: null,
    integration_name: 'llm', provider: 'anthropic', model: 'claude-haiku-4-5', source: 'gateway', api: 'messages', status: 200, input_tokens: 1,
    output_tokens: 1, cache_read_tokens: 0, cache_write_tokens: 0, cost_micros: cost, latency_ms: 1, ttfb_ms: 1, session_id: null,
  };
}

/** A database migrated only up to 0005 (before leases), as an older gatehouse left it. */
async function olderDatabase(env: Record<string, string>): Promise<{ target: Parameters<typeof openDatabase>[0]; old: Kysely<any> }> {
  const url = env.GATEHOUSE_DATABASE_URL;
  const file = path.join(tempDir(), 'gatehouse.db');
  const old = new Kysely<any>({ dialect: url ? new PostgresDialect({ pool: new pg.Pool({ connectionString: url }) }) : new SqliteDialect({ database: new Database(file) }) });
  const before = Object.fromEntries(Object.entries(migrations).filter(([name]) => name < '0006'));
  const { error } = await new Migrator({ db: old, provider: { getMigrations: async () => before } }).migrateToLatest();
  assert.ifError(error);
  return { target: url ? { kind: 'postgres', url, poolSize: 4 } : file, old };
}

for (const database of DATABASES) {
  describe(`credit leases in the database (${database.name})`, () => {
    let db: Db;
    after(async () => db?.destroy());

    it('issue 12.3: the 0007 migration counts the usage written before leases existed', async () => {
      const { target, old } = await olderDatabase(await database.env());
      await old.insertInto('users').values({ name: 'alice', email: null, is_admin: 1, created_at: NOW }).execute();
      const { id } = await old.selectFrom('users').select('id').executeTakeFirstOrThrow();
      await old.insertInto('usage').values([row(id, 1500, 1), row(id, 2500, 2), { ...row(id, 700, 3), month: '2020-01' }]).execute();
      await old.destroy();
      db = await openDatabase(target);
      assert.deepEqual(await leaseBalance(db, id, MONTH, 'x', NOW), { granted: 0, spent: 4000, others: 0, own: 0 });
      assert.equal((await leaseBalance(db, id, '2020-01', 'x', NOW)).spent, 700);
    });

    it('issue 12.3: written rows move their cost from the lease to spent; a top-up leaves what others hold', async () => {
      const user = await createAccount(db, { name: 'bob', key: parsePublicKey(newKey().public) });
      const allocation = 10_000;
      const policy = (b: { granted: number; spent: number; others: number; own: number }) => allocation + b.granted - b.spent - b.others - Math.max(b.own, 0);
      assert.equal(await topUpLease(db, user.id, MONTH, 'a', times, (b) => Math.min(6000, policy(b))), 6000);
      assert.equal(await topUpLease(db, user.id, MONTH, 'b', times, policy), 4000, 'B gets only what A does not hold');
      await insertUsageRows(db, [row(user.id, 1000, 10), row(user.id, 500, 11), row(user.id, 0, 12)], 'a');
      assert.deepEqual(await leaseBalance(db, user.id, MONTH, 'a', NOW), { granted: 0, spent: 1500, others: 4000, own: 4500 });
      // A's lease expired: B may take it over, and what A spent still counts.
      assert.deepEqual(await leaseBalance(db, user.id, MONTH, 'b', LATER), { granted: 0, spent: 1500, others: 0, own: 4000 });
      assert.equal(await topUpLease(db, user.id, MONTH, 'b', { now: LATER, expiresAt: LATER }, policy), 4500);
    });

    it('issue 12.3: renewal leaves lapsed leases (another instance may hold their budget) and empty ones alone', async () => {
      const t = Date.now();
      const [erin, fay, gus] = await Promise.all(['erin', 'fay', 'gus'].map((name) => createAccount(db, { name, key: parsePublicKey(newKey().public) })));
      const at = (ms: number) => ({ now: new Date(t).toISOString(), expiresAt: new Date(ms).toISOString() });
      await topUpLease(db, erin.id, MONTH, 'a', at(t - 1000), () => 3000); // lapsed a second ago
      await topUpLease(db, erin.id, MONTH, 'b', at(t + 20_000), () => 3000); // B took over A's share
      await topUpLease(db, fay.id, MONTH, 'a', at(t + 20_000), () => 0); // idle: nothing outstanding
      await topUpLease(db, gus.id, MONTH, 'a', at(t + 20_000), () => 2000);
      const lease = (outstanding: number, reserved: number, expiresAt: number, usedAt = t): Lease => ({ month: MONTH, allocation: 0, outstanding, reserved, unwritten: 0, expiresAt, usedAt, dryAt: 0 });
      const leases = new Map<number, Lease>([
        [erin.id, lease(3000, 1000, t - 1000, t - 10_000)], // idle: its spare 2000 goes back, 1000 is still in flight
        [fay.id, lease(0, 0, t + 20_000)],
        [gus.id, lease(2000, 500, t + 20_000)],
      ]);
      const expiry = async (userId: number) =>
        (await db.selectFrom('credit_leases').select(['expires_at', 'outstanding_micros']).where('user_id', '=', userId).where('instance', '=', 'a').executeTakeFirstOrThrow());
      assert.deepEqual(await returnAndRenewLeases(db, 'a', leases, MONTH, t, false), {});
      assert.deepEqual(await expiry(erin.id), { expires_at: new Date(t - 1000).toISOString(), outstanding_micros: 1000 }, 'returned, not revived');
      assert.equal(leases.get(erin.id)!.expiresAt, t - 1000, 'nor revived in memory: no admission against it without a top-up');
      assert.equal((await leaseBalance(db, erin.id, MONTH, 'b', new Date(t).toISOString())).others, 0, 'B still sees no lease of A');
      assert.equal((await expiry(fay.id)).expires_at, new Date(t + 20_000).toISOString(), 'no write for a lease with nothing outstanding');
      assert.equal((await expiry(gus.id)).expires_at, new Date(t + LEASE_TTL_MS).toISOString(), 'a lease in use is renewed');
      assert.equal(leases.get(gus.id)!.expiresAt, t + LEASE_TTL_MS);
    });
  });
}
