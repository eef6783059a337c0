// A fleet under failure (issue 12.4 and its acceptance): two `gatehouse serve` processes on one
// PostgreSQL database; `kill -9` of A under steady load. B keeps serving, A restarts and serves,
// the database is intact, and A lost at most its documented crash bound of usage rows
// (src/core/usageWriter.ts: the rows of requests that finished in the last FLUSH_MS, plus the
// batch being written). Then the database going away under a running instance: no crash, rows
// kept for retry and written once it is back.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { FLUSH_MS } from '../../src/core/usageWriter.js';
import { startMockProvider, type MockProvider } from '../fixtures/mockProvider.js';
import { POSTGRES_URL, freshPostgresUrl } from '../helpers/databases.js';
import { killServed, postgresUsageRows, serve, type Served } from '../helpers/serve.js';
import { exec, signUp } from '../helpers/ssh.js';
import { closeAgents, send, until } from '../metering/helpers.js';

const MESSAGE = { model: 'claude-opus-5-5', max_tokens: 64, messages: [{ role: 'user', content: 'hi' }] };
const HEADERS = { 'anthropic-version': '2023-06-01' };
/** A write in flight takes milliseconds here; this is the slack for timers on a loaded machine. */
const SLACK_MS = 500;

interface Answer {
  id: string;
  at: number;
}

/** Steady load through one instance: `concurrency` loops of requests until stop(); answers (200) with their time. */
function load(port: () => number, concurrency: number, pauseMs = 0) {
  const answered: Answer[] = [];
  const failed: string[] = [];
  let running = true;
  const loops = Array.from({ length: concurrency }, async () => {
    while (running) {
      try {
        const r = await send(port(), '/gateway/llm/anthropic/v1/messages', MESSAGE, { headers: HEADERS, timeoutMs: 5000 });
        if (r.status === 200) answered.push({ id: String(r.headers['x-gatehouse-request-id']), at: performance.now() });
        else failed.push(`${r.status} ${r.body.slice(0, 200)}`);
        if (pauseMs) await new Promise((r) => setTimeout(r, pauseMs));
      } catch (err) {
        failed.push((err as Error).message);
        await new Promise((r) => setTimeout(r, 20)); // a dead instance refuses at once: do not spin
      }
    }
  });
  return { answered, failed, stop: async () => ((running = false), await Promise.all(loops)) };
}

async function admin<T>(run: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: POSTGRES_URL });
  await c.connect();
  try {
    return await run(c);
  } finally {
    await c.end();
  }
}

async function query(url: string, text: string): Promise<any[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query(text)).rows;
  } finally {
    await c.end();
  }
}

describe('a fleet under failure (issue 12.4)', { skip: !POSTGRES_URL && 'no PostgreSQL' }, () => {
  let mock: MockProvider;
  const env: Record<string, string> = { GATEHOUSE_SECRET_KEY: randomBytes(32).toString('hex'), GATEHOUSE_RATE_LIMIT_RPM: '1000000' };

  before(async () => {
    mock = await startMockProvider({ scenario: { usage: { input: 10, output: 3 } } });
  });
  after(async () => {
    killServed();
    closeAgents();
    await mock.close();
  });

  async function fleetOf(url: string): Promise<Served> {
    const a = await serve(mock.url, { ...env, GATEHOUSE_DATABASE_URL: url });
    const alice = await signUp(a.sshPort, 'alice');
    const vm = await exec(a.sshPort, alice, 'new --name devbox --address 127.0.0.2');
    assert.equal(vm.code, 0, vm.stderr);
    return a;
  }

  it('issue 12.4: kill -9 of A under load: B keeps serving, A restarts and serves, the database is intact, A lost at most its crash bound', async (t) => {
    const url = await freshPostgresUrl();
    let a = await fleetOf(url);
    const b = await serve(mock.url, { ...env, GATEHOUSE_DATABASE_URL: url });
    const throughA = load(() => a.gatewayPort, 8);
    const throughB = load(() => b.gatewayPort, 4);
    await until(() => throughA.answered.length >= 300 && performance.now() - throughA.answered[0].at > 2 * FLUSH_MS, 'load through A for a while', 15_000);
    a.child.kill('SIGKILL');
    await a.exited;
    const killedAt = performance.now();
    const beforeKill = throughA.answered.filter((x) => x.at <= killedAt);
    const bWhileDown = throughB.answered.length;
    a = await serve(mock.url, { ...env, GATEHOUSE_DATABASE_URL: url }); // the same database, a new process
    await until(() => throughA.answered.some((x) => x.at > killedAt), 'A serves again after its restart', 10_000);
    assert.ok(throughB.answered.length > bWhileDown, 'B answered while A was down or restarting');
    await Promise.all([throughA.stop(), throughB.stop()]);
    a.child.kill('SIGTERM');
    b.child.kill('SIGTERM');
    assert.equal((await a.exited).code, 0, a.stderr());
    assert.equal((await b.exited).code, 0, b.stderr());

    assert.deepEqual(throughB.failed, [], 'B answered every request throughout');
    const rows = new Set((await postgresUsageRows(url)).map((r) => r.request_id));
    for (const x of throughB.answered) assert.ok(rows.has(x.id), `B's request ${x.id} has its row`);
    const lost = beforeKill.filter((x) => !rows.has(x.id));
    const recent = beforeKill.filter((x) => killedAt - x.at <= FLUSH_MS + SLACK_MS);
    t.diagnostic(`A answered ${beforeKill.length} before kill -9 (${recent.length} in its last ${FLUSH_MS + SLACK_MS} ms); ${lost.length} rows lost; B answered ${throughB.answered.length}`);
    for (const x of lost) assert.ok(killedAt - x.at <= FLUSH_MS + SLACK_MS, `a row lost of a request answered ${Math.round(killedAt - x.at)} ms before the crash`);
    assert.ok(lost.length <= recent.length);

    // Intact: one row per request id, and the leases' spend equals the rows' cost (same transactions).
    const [{ n, ids }] = await query(url, 'SELECT count(*)::int AS n, count(DISTINCT request_id)::int AS ids FROM usage');
    assert.equal(n, ids, 'no request written twice');
    // A request cut by the kill may have been written though its client saw no answer: at most one per loop.
    const expected = throughA.answered.length + throughB.answered.length - lost.length;
    assert.ok(n >= expected && n <= expected + 8, `${n} rows for ${expected} answered and kept`);
    const [{ cost, spent }] = await query(url, 'SELECT (SELECT sum(cost_micros) FROM usage)::bigint AS cost, (SELECT sum(spent_micros) FROM credit_leases)::bigint AS spent');
    assert.equal(spent, cost, 'lease spend equals the written rows’ cost');
  });

  it('issue 12.4: the database going away under load: no crash, rows kept and written once it is back', async (t) => {
    const url = await freshPostgresUrl();
    const name = new URL(url).pathname.slice(1);
    const a = await fleetOf(url);
    const traffic = load(() => a.gatewayPort, 2, 20); // ~100 rows a second: the outage stays under the backlog cap
    await until(() => traffic.answered.length >= 50, 'load', 10_000);
    await admin(async (c) => {
      await c.query(`ALTER DATABASE ${name} ALLOW_CONNECTIONS false`);
      await c.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1', [name]);
    });
    const goneAt = traffic.answered.length;
    await a.waitFor(/usage rows failed; keeping up to \d+ rows/, 10_000);
    await until(() => traffic.answered.length >= goneAt + 50, 'requests answered while the database is away', 10_000);
    await admin((c) => c.query(`ALTER DATABASE ${name} ALLOW_CONNECTIONS true`));
    await a.waitFor(/usage rows are written again/, 10_000);
    await traffic.stop();
    a.child.kill('SIGTERM');
    assert.equal((await a.exited).code, 0, a.stderr());
    const rows = new Set((await postgresUsageRows(url)).map((r) => r.request_id));
    const missing = traffic.answered.filter((x) => !rows.has(x.id));
    t.diagnostic(`${traffic.answered.length} answered, ${traffic.answered.length - goneAt} while the database was away; ${missing.length} rows missing; ${traffic.failed.length} refused`);
    assert.equal(missing.length, 0, 'every answered request has its row');
  });
});
