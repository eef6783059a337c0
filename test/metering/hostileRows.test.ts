// Usage rows built from hostile input (issue 12.3, 12.4 review): a model id up to MAX_MODEL_ID
// characters or one with a NUL must not keep other users' rows from PostgreSQL, whose usage.model
// is varchar(128) and whose text cannot hold NUL; a row the database refuses for its data is
// dropped alone; and a request admitted just before month end is charged to that month.
import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createAccount } from '../../src/core/accounts.js';
import { loadCatalog } from '../../src/core/catalog.js';
import { CreditLedger } from '../../src/core/credits.js';
import type { IndexedIntegration } from '../../src/core/integrationIndex.js';
import { parsePublicKey } from '../../src/core/publicKey.js';
import type { Services } from '../../src/core/services.js';
import { UsageWriter } from '../../src/core/usageWriter.js';
import { isRowRefused } from '../../src/db/dialect.js';
import { openDatabase, type Db } from '../../src/db/open.js';
import type { NewUsageRow } from '../../src/db/schema.js';
import type { Caller } from '../../src/gateway/caller.js';
import { RequestMetering } from '../../src/gateway/metering.js';
import { MAX_MODEL_ID } from '../../src/gateway/modelPolicy.js';
import { clip, fitted } from '../../src/gateway/usageRow.js';
import type { Log } from '../../src/log.js';
import { DATABASES } from '../helpers/databases.js';
import { tempDir } from '../helpers/gatehouse.js';
import { newKey, type KeyPair } from '../helpers/ssh.js';
import { closeAgents, ok, okJson, send, startWorld, until, usageRows, userWithVm, type World } from './helpers.js';

const ANTHROPIC = { 'anthropic-version': '2023-06-01' };
const LONG_MODEL = 'claude-' + 'x'.repeat(MAX_MODEL_ID - 'claude-'.length);
const NUL_MODEL = 'claude-nul\u0000model';

function row(userId: number, i: number, extra: Partial<NewUsageRow> = {}): NewUsageRow {
  const now = new Date().toISOString();
  return {
    created_at: now, month: now.slice(0, 7), request_id: `hostile-${i}`, user_id: userId, vm_id: null, vm_name: null, api_key_id: null, api_key_name: null,
    integration_id: null, integration_name: 'llm', provider: 'anthropic', model: 'claude-opus-5-5', source: 'gateway', api: 'messages', status: 200,
    input_tokens: 1, output_tokens: 1, cache_read_tokens: 0, cache_write_tokens: 0, cost_micros: 0, latency_ms: 1, ttfb_ms: 1, session_id: null, ...extra,
  };
}

describe('usage text fit for its columns (issue 12.4)', () => {
  it('issue 12.4: clip keeps at most the column length, removes NUL, never leaves half a surrogate pair', () => {
    assert.equal(clip('abc', 3), 'abc');
    assert.equal(clip('abcd', 3), 'abc');
    assert.equal(clip('a\u0000b\u0000', 8), 'ab');
    assert.equal(clip('ab\u{1F600}', 3), 'ab', 'the emoji is two UTF-16 units: cut whole');
    const r = fitted(row(1, 1, { model: LONG_MODEL, vm_name: 'v'.repeat(80), session_id: 's\u0000'.repeat(200), api_key_name: null }));
    assert.equal(r.model, LONG_MODEL.slice(0, 128));
    assert.equal(r.vm_name, 'v'.repeat(52));
    assert.equal(r.session_id, 's'.repeat(128));
    assert.equal(r.api_key_name, null);
    assert.equal(r.input_tokens, 1);
  });

  it('issue 12.4: SQLSTATE class 22 (data exception) refuses the row; connection failures do not', () => {
    for (const code of ['22001', '22021', '22P02', '23505', 'SQLITE_CONSTRAINT_FOREIGNKEY']) assert.ok(isRowRefused({ code }), code);
    for (const code of ['08006', '57P01', '53300', 'ECONNREFUSED', undefined]) assert.ok(!isRowRefused({ code }), String(code));
  });
});

for (const database of DATABASES) {
  describe(`hostile usage rows (${database.name})`, () => {
    let world: World;
    let alice: KeyPair;

    before(async () => {
      world = await startWorld({ ...(await database.env()), GATEHOUSE_RATE_LIMIT_RPM: '100000' });
      alice = await userWithVm(world.gh, 'alice', '127.0.0.2', 'devbox');
      await ok(world.gh.sshPort, alice, 'integrations add llm --name mine --anthropic=byok --anthropic-key=- --attach auto:all', 'sk-ant-alice-own-key');
    });
    after(async () => {
      closeAgents();
      await world.stop();
    });

    it(`issue 12.4: a ${MAX_MODEL_ID}-character model id and one with a NUL are answered, and every other request's row is written`, async () => {
      const models = [LONG_MODEL, NUL_MODEL, ...Array.from({ length: 20 }, () => 'claude-opus-5-5')];
      const replies = await Promise.all(
        models.map((model) => send(world.gh.gatewayPort, '/gateway/mine/anthropic/v1/messages', { model, max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] }, { headers: ANTHROPIC })),
      );
      for (const r of replies) assert.equal(r.status, 200, r.body);
      const ids = replies.map((r) => String(r.headers['x-gatehouse-request-id']));
      const rows = await until(async () => {
        await okJson(world.gh.sshPort, alice, 'usage'); // flushes the writer
        const all = new Map((await usageRows(world.gh)).map((x) => [x.request_id, x]));
        return ids.every((id) => all.has(id)) && ids.map((id) => all.get(id));
      }, 'every row written');
      assert.equal(rows[0].model, LONG_MODEL.slice(0, 128));
      assert.equal(rows[1].model, 'claude-nulmodel');
      for (const r of rows.slice(2)) assert.equal(r.model, 'claude-opus-5-5');
      for (const r of rows) assert.equal(r.source, 'byok');
    });
  });
}

for (const database of DATABASES) {
  describe(`UsageWriter and rows the database cannot store (${database.name})`, () => {
    let db: Db;
    let userId: number;
    const logged: string[] = [];
    const log: Log = { debug: () => {}, child: () => log, info: () => {}, warn: () => {}, error: (m) => void logged.push(m) };

    before(async () => {
      const env = await database.env();
      db = await openDatabase(env.GATEHOUSE_DATABASE_URL ? { kind: 'postgres', url: env.GATEHOUSE_DATABASE_URL, poolSize: 4 } : path.join(tempDir(), 'gatehouse.db'));
      userId = (await createAccount(db, { name: 'alice', key: parsePublicKey(newKey().public) })).id;
    });
    after(async () => db?.destroy());

    it('issue 12.4: a row too long or with a NUL, written unfitted, is dropped alone with a log line; the others are committed', async () => {
      const dropped: NewUsageRow[] = [];
      const writer = new UsageWriter(db, log, { flushMs: 60_000, onDone: (rows, committed) => void (committed || dropped.push(...rows)) });
      try {
        for (let i = 0; i < 10; i++) writer.add(row(userId, i, i === 3 ? { model: LONG_MODEL } : i === 6 ? { model: NUL_MODEL } : {}));
        await writer.flush();
        assert.equal(writer.unwritten, 0, 'nothing kept for a retry that cannot succeed');
        const written = await db.selectFrom('usage').select('request_id').where('request_id', 'like', 'hostile-%').execute();
        // SQLite stores both as they are; PostgreSQL refuses both (22001, 22021).
        assert.equal(written.length, database.name === 'postgres' ? 8 : 10);
        if (database.name === 'postgres') {
          assert.deepEqual(dropped.map((r) => r.request_id).sort(), ['hostile-3', 'hostile-6']);
          assert.ok(logged.some((m) => /dropping a usage row the database refuses/.test(m)));
        }
      } finally {
        await writer.close();
      }
    });

    it('issue 12.3: a request admitted in the last moment of a month is charged to that month, however late its row is built', async () => {
      const catalog = loadCatalog();
      const model = catalog.get('claude-opus-5-5')!;
      const lastMoment = new Date(Date.UTC(2026, 0, 31, 23, 59, 59, 999)); // January's; the row is built "now", months later
      const rows: NewUsageRow[] = [];
      const credits = new CreditLedger(db, 1_000_000, { instance: 'month-end', now: () => lastMoment });
      const usage = new UsageWriter(db, log, { instance: 'month-end', flushMs: 60_000, onDone: (r, committed) => (credits.written(r, committed), void rows.push(...r)) });
      try {
        const services = { credits, usage, catalog } as unknown as Services;
        const caller = { userId, may: () => true, denyHint: () => '' } as Caller;
        const integration = { id: 1, name: 'llm' } as IndexedIntegration;
        const metering = await RequestMetering.begin(services, { caller, integration, provider: 'anthropic', source: 'gateway', api: 'messages', model, modelId: model.id, bodyBytes: 100 });
        metering.end({ headers: {} } as IncomingMessage, { getHeader: () => 'month-end-1' } as unknown as ServerResponse, undefined, 502);
        await usage.flush();
        assert.equal(rows.length, 1);
        assert.equal(rows[0].month, '2026-01', 'the month of the reservation, not of the clock when the row was built');
      } finally {
        await usage.close();
        await credits.close();
      }
    });
  });
}
