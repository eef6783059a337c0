// Issue 17 acceptance: a month of 10,000 usage rows renders /user in under a second, its numbers
// still those of `usage --json`, and a bystander's page is answered while others render. The rows
// are written through the app's own insertUsageRows (10,000 real gateway requests would take
// minutes; the page reads rows however they came).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { monthOf } from '../../src/core/month.js';
import { openDatabase } from '../../src/db/open.js';
import type { NewUsageRow } from '../../src/db/schema.js';
import { insertUsageRows } from '../../src/db/usage.js';
import { findUserByName } from '../../src/db/users.js';
import { DATABASES } from '../helpers/databases.js';
import { startTestGatehouse, type TestGatehouse } from '../helpers/gatehouse.js';
import { signUp, type KeyPair } from '../helpers/ssh.js';
import { okJson } from '../metering/helpers.js';
import { assertTable, get, jsonBlock, tableRows } from './http.js';

const ROWS = 10_000;
const MONTH = monthOf(new Date());

function rowsFor(userId: number, count: number): NewUsageRow[] {
  const days = new Date().getUTCDate();
  const models = [['anthropic', 'claude-sonnet-5-5'], ['anthropic', 'claude-haiku-4-5'], ['openai', 'gpt-5.5'], ['gemini', 'gemini-2.5-flash']];
  return Array.from({ length: count }, (_, i) => {
    const [provider, model] = models[i % models.length];
    return {
      created_at: `${MONTH}-${String(1 + (i % days)).padStart(2, '0')}T12:00:00.000Z`, month: MONTH, request_id: `volume-${i}`, user_id: userId, vm_id: null, vm_name: `vm-${i % 7}`,
      api_key_id: null, api_key_name: i % 5 ? null : 'ci', integration_id: null, integration_name: 'llm', provider, model, source: 'gateway', api: 'messages', status: 200,
      input_tokens: 100 + (i % 13), output_tokens: 20 + (i % 5), cache_read_tokens: i % 3 ? 0 : 400, cache_write_tokens: i % 4 ? 0 : 50, cost_micros: 150 + (i % 11),
      latency_ms: 40, ttfb_ms: 10, session_id: `sess-${i % 40}`, team_id: null,
    };
  });
}

for (const database of DATABASES) {
  describe(`web: /user with ${ROWS} usage rows this month (${database.name})`, () => {
    let gh: TestGatehouse;
    let dave: KeyPair;
    let cookie: string;

    before(async () => {
      gh = await startTestGatehouse(await database.env());
      dave = await signUp(gh.sshPort, 'dave');
      const db = await openDatabase(gh.config.database);
      try {
        const user = await findUserByName(db, 'dave');
        const rows = rowsFor(user!.id, ROWS);
        for (let i = 0; i < rows.length; i += 500) await insertUsageRows(db, rows.slice(i, i + 500), 'web-volume-test');
      } finally {
        await db.destroy();
      }
      const { magic_link } = await okJson(gh.sshPort, dave, 'browser');
      const url = new URL(magic_link);
      const r = await get(gh.webPort!, url.pathname + url.search);
      cookie = String(r.headers['set-cookie']?.[0]).split(';')[0];
    });
    after(() => gh?.stop());

    it('renders in under a second, tables and chart equal to `usage --json`', async () => {
      const times: number[] = [];
      let body = '';
      for (let i = 0; i < 3; i++) {
        const r = await get(gh.webPort!, '/user', { cookie });
        assert.equal(r.status, 200);
        times.push(r.ms);
        body = r.body;
      }
      console.log(`# /user with ${ROWS} rows (${database.name}): ${times.map((t) => `${t.toFixed(0)} ms`).join(', ')}`);
      assert.ok(Math.min(...times) < 1000, `rendered in ${times.join(', ')} ms`);
      for (const group of ['model', 'vm', 'key', 'session']) assertTable(tableRows(body, `usage-by-${group}`), await okJson(gh.sshPort, dave, `usage --group ${group}`));
      const chart = jsonBlock(body, 'usage-chart-data');
      const total = chart.series.reduce((t: number, s: any) => t + s.micros.reduce((a: number, b: number) => a + b, 0), 0);
      assert.equal(total, (await okJson(gh.sshPort, dave, 'usage')).total.cost_micros);
    });

    it('a bystander is answered while /user renders for others', async () => {
      let done = 0;
      const heavy = Array.from({ length: 8 }, () => get(gh.webPort!, '/user', { cookie }).then((r) => (done++, r)));
      const bystander = await get(gh.webPort!, '/models.json');
      const finishedBefore = done;
      assert.equal(bystander.status, 200);
      console.log(`# bystander /models.json during 8 concurrent /user (${database.name}): ${bystander.ms.toFixed(0)} ms, ${finishedBefore} of 8 done before it`);
      assert.ok(finishedBefore < 8, 'answered before the pages it came after were all rendered');
      for (const r of await Promise.all(heavy)) assert.equal(r.status, 200);
    });
  });
}
