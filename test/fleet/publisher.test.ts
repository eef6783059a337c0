// Issue 12.2: a change is published by the store that made it. The kysely plugin behind
// openDatabase(…, { changes }) maps every write to a watched table to its topic, inside
// transactions too, and nothing else: reads, usage rows, history, failed statements.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { CHANGE_TOPICS, Changes, type ChangeTopic } from '../../src/core/changes.js';
import { topicsOf, TOPIC_OF_TABLE } from '../../src/db/changePublisher.js';
import { nowIso, openDatabase, type Db } from '../../src/db/open.js';
import { tempDir } from '../helpers/gatehouse.js';

let db: Db;
let heard: ChangeTopic[] = [];

/** The topics heard while `work` ran. */
async function during(work: () => Promise<unknown>): Promise<ChangeTopic[]> {
  heard = [];
  await work();
  return heard;
}

const usageRow = (userId: number) => ({
  created_at: nowIso(), month: nowIso().slice(0, 7), request_id: `r-${Math.random()}`, user_id: userId, vm_id: null, vm_name: null,
  api_key_id: null, api_key_name: null, integration_id: null, integration_name: 'llm', provider: 'anthropic', model: 'm', source: 'gateway',
  api: 'messages', status: 200, input_tokens: 1, output_tokens: 1, cache_read_tokens: 0, cache_write_tokens: 0, cost_micros: 1, latency_ms: 1, ttfb_ms: null, session_id: null,
});

before(async () => {
  const changes = new Changes();
  for (const topic of CHANGE_TOPICS) changes.on(topic, () => heard.push(topic));
  db = await openDatabase(path.join(tempDir(), 'gatehouse.db'), { changes });
});

after(async () => {
  await db?.destroy();
});

describe('issue 12.2: the database publishes its own changes (SQLite)', () => {
  it('a write inside a transaction publishes its topic, right after its statement', async () => {
    const topics = await during(() =>
      db.transaction().execute(async (trx) => {
        await trx.insertInto('users').values({ name: 'alice', email: null, is_admin: 0, created_at: nowIso() }).execute();
        assert.deepEqual(heard, ['users'], 'published before the commit; on SQLite a rebuild waits for it');
        const user = await trx.selectFrom('users').select('id').where('name', '=', 'alice').executeTakeFirstOrThrow();
        await trx.insertInto('vms').values({ user_id: user.id, name: 'alice-box', address: '127.0.0.2', comment: null, created_at: nowIso() }).execute();
      }),
    );
    assert.deepEqual(topics, ['users', 'vms']);
  });

  it('a login or key use (last_used_at alone) publishes nothing; the same table with another column does', async () => {
    const at = nowIso();
    assert.deepEqual(await during(() => db.updateTable('ssh_keys').set({ last_used_at: at }).where(sql<boolean>`1 = 0`).execute()), []);
    assert.deepEqual(await during(() => db.updateTable('api_keys').set({ last_used_at: at }).where(sql<boolean>`1 = 0`).execute()), []);
    assert.deepEqual(await during(() => db.updateTable('api_keys').set({ last_used_at: at, expires_at: at }).where(sql<boolean>`1 = 0`).execute()), ['keys']);
    assert.deepEqual(await during(() => db.updateTable('ssh_keys').set({ name: 'x' }).where(sql<boolean>`1 = 0`).execute()), ['users']);
  });

  it('a usage row, a history line, a read and a migration-table write publish nothing', async () => {
    const { id } = await db.selectFrom('users').select('id').executeTakeFirstOrThrow();
    const topics = await during(async () => {
      await db.insertInto('usage').values(usageRow(id)).execute();
      await db.insertInto('usage').values([usageRow(id), usageRow(id)]).execute();
      await db.updateTable('usage').set({ status: 500 }).where('user_id', '=', id).execute();
      await db.insertInto('command_history').values({ user_id: id, line: 'ls', created_at: nowIso() }).execute();
      await db.selectFrom('vms').selectAll().execute();
      await sql`SELECT 1`.execute(db);
      await db.deleteFrom('kysely_migration' as never).where(sql<boolean>`1 = 0`).execute();
    });
    assert.deepEqual(topics, []);
  });

  it('every watched table publishes its topic, whatever the statement; an aliased table too', async () => {
    const columns = new Map((await db.introspection.getTables()).map((t) => [t.name, t.columns[0].name]));
    for (const [table, topic] of TOPIC_OF_TABLE) {
      const column = columns.get(table);
      assert.ok(column, `table ${table} exists`);
      assert.deepEqual(await during(() => db.deleteFrom(table as never).where(sql<boolean>`1 = 0`).execute()), [topic], `delete from ${table}`);
      const set = { [column]: sql.ref(`t.${column}`) } as never;
      assert.deepEqual(await during(() => db.updateTable(`${table} as t` as never).set(set).where(sql<boolean>`1 = 0`).execute()), [topic], `update ${table} as t`);
    }
    assert.deepEqual([...new Set(TOPIC_OF_TABLE.values())].sort(), [...CHANGE_TOPICS].sort(), 'every topic has a table');
  });

  it('a statement that fails publishes nothing', async () => {
    const topics = await during(async () => {
      await assert.rejects(db.insertInto('users').values({ name: 'alice', email: null, is_admin: 0, created_at: nowIso() }).execute(), /UNIQUE/);
    });
    assert.deepEqual(topics, []);
  });

  it('a data-modifying CTE counts (PostgreSQL has them), and reads do not', () => {
    const cte = db.with('gone', (q) => q.deleteFrom('api_keys').where('id', '=', 1).returning('id')).selectFrom('gone').selectAll().toOperationNode();
    assert.deepEqual(topicsOf(cte), ['keys']);
    assert.equal(topicsOf(db.selectFrom('api_keys').selectAll().toOperationNode()), undefined);
    assert.equal(topicsOf(db.with('k', (q) => q.selectFrom('api_keys').selectAll()).selectFrom('k').selectAll().toOperationNode()), undefined);
  });

  it('a handle opened without changes (the operator CLI, tools) publishes nowhere', async () => {
    const plain = await openDatabase(path.join(tempDir(), 'gatehouse.db'));
    try {
      const topics = await during(() => plain.insertInto('users').values({ name: 'bob', email: null, is_admin: 0, created_at: nowIso() }).execute());
      assert.deepEqual(topics, []);
    } finally {
      await plain.destroy();
    }
  });

  it('the check is cheap: a usage insert costs well under a microsecond to classify', (t) => {
    const node = db.insertInto('usage').values(usageRow(1)).toOperationNode();
    const read = db.selectFrom('usage').selectAll().toOperationNode();
    const n = 200_000;
    const started = performance.now();
    for (let i = 0; i < n; i++) if (topicsOf(node) || topicsOf(read)) assert.fail('usage or a read published');
    const perCall = ((performance.now() - started) * 1e6) / (2 * n);
    t.diagnostic(`topicsOf: ${perCall.toFixed(0)} ns per statement`);
    assert.ok(perCall < 2_000, `${perCall} ns`);
  });
});
