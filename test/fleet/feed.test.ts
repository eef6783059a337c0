// Issue 12.2: the PostgreSQL change feed on its own (its own Changes, on a fresh database): each
// committed write to a watched table, by any connection, becomes its topic; nothing is delivered
// before commit or for a rollback; junk on the channel is ignored; a missed notification is made
// up for by the version check and by the reconnect; stopping leaves no connection behind.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { after, afterEach, before, describe, it } from 'node:test';
import pg from 'pg';
import { CHANGE_TOPICS, Changes, type ChangeTopic } from '../../src/core/changes.js';
import { CHANNEL, ChangeFeed } from '../../src/db/changeFeed.js';
import { TOPIC_OF_TABLE } from '../../src/db/changePublisher.js';
import { openDatabase, type Db } from '../../src/db/open.js';
import { freshPostgresUrl, POSTGRES_URL } from '../helpers/databases.js';
import { listeners, NO_POSTGRES, pollUntil } from './fleet.js';

const NEVER = 3_600_000; // a check interval that never comes during a test

let url: string;
let db: Db;
let writer: pg.Client; // an operator's psql session
let feed: ChangeFeed | undefined;
let heard: ChangeTopic[] = [];
let warnings: string[] = [];
let changes: Changes;

async function startFeed(checkMs: number): Promise<ChangeFeed> {
  heard = [];
  warnings = [];
  changes = new Changes();
  for (const topic of CHANGE_TOPICS) changes.on(topic, () => heard.push(topic));
  feed = await ChangeFeed.start({ url, db, changes, checkMs, log: { warn: (m) => void warnings.push(m) } });
  return feed;
}

const heardAll = (times = 1) => CHANGE_TOPICS.every((t) => heard.filter((h) => h === t).length >= times);

/**
 * Sends a marker notification after everything before it and waits for it (notifications arrive
 * in commit order), then forgets it: the marker's topic must not be one the test expects.
 */
async function drained(marker: ChangeTopic = 'credits'): Promise<void> {
  const count = () => heard.filter((t) => t === marker).length;
  const before = count();
  await writer.query(`SELECT pg_notify($1, $2)`, [CHANNEL, `${marker}:0`]);
  await pollUntil(5_000, async () => count() > before || 'no marker yet', 5);
  heard.splice(heard.lastIndexOf(marker), 1);
}

describe('issue 12.2: the PostgreSQL change feed', { skip: NO_POSTGRES }, () => {
  before(async () => {
    url = await freshPostgresUrl();
    db = await openDatabase({ kind: 'postgres', url, poolSize: 2 });
    writer = new pg.Client({ connectionString: url });
    await writer.connect();
  });

  afterEach(async () => {
    await feed?.stop();
    feed = undefined;
  });

  after(async () => {
    await writer?.end();
    await db?.destroy();
  });

  it('issue 12.2: a write by any session becomes its topic at commit, never before, never for a rollback', async () => {
    await startFeed(NEVER);
    for (const [table, topic] of TOPIC_OF_TABLE) {
      await writer.query(`DELETE FROM ${table} WHERE false`); // a statement trigger fires for no rows too
      await drained(topic === 'credits' ? 'keys' : 'credits');
      assert.deepEqual(heard.splice(0), [topic], table);
    }
    for (const table of ['usage', 'command_history', 'kysely_migration']) await writer.query(`DELETE FROM ${table} WHERE false`);
    await drained();
    assert.deepEqual(heard.splice(0), [], 'unwatched tables publish nothing');

    await writer.query('BEGIN');
    await writer.query('DELETE FROM vms WHERE false');
    const other = new pg.Client({ connectionString: url });
    await other.connect();
    try {
      await other.query(`SELECT pg_notify($1, 'credits:0')`, [CHANNEL]); // committed while vms is not
      await pollUntil(5_000, async () => heard.includes('credits') || 'no marker yet', 5);
    } finally {
      await other.end();
    }
    assert.deepEqual(heard.splice(0), ['credits'], 'nothing of the open transaction yet');
    await writer.query('COMMIT');
    await drained();
    assert.deepEqual(heard.splice(0), ['vms'], 'delivered at commit');

    await writer.query('BEGIN');
    await writer.query('DELETE FROM api_keys WHERE false');
    await writer.query('ROLLBACK');
    await drained();
    assert.deepEqual(heard.splice(0), [], 'a rollback publishes nothing');
  });

  it('issue 12.2: a login or key use (last_used_at alone) notifies nobody; any other column of those tables does', async () => {
    await startFeed(NEVER);
    for (const [table, topic, column] of [['ssh_keys', 'users', 'name'], ['api_keys', 'keys', 'expires_at']] as const) {
      await writer.query(`UPDATE ${table} SET last_used_at = last_used_at WHERE false`);
      await drained();
      assert.deepEqual(heard.splice(0), [], `${table}: the last_used_at write notified`);
      await writer.query(`UPDATE ${table} SET ${column} = ${column}, last_used_at = last_used_at WHERE false`);
      await drained();
      assert.deepEqual(heard.splice(0), [topic], `${table}: ${column} set`);
    }
  });

  it('issue 12.2: malformed payloads, unknown topics and other channels are ignored', async () => {
    await startFeed(NEVER);
    const junk = ['', 'vms', 'vms:', ':1', 'vms:abc', 'vms:-1', 'vms:1:2', 'VMS:1', ' vms:1', 'vms:1 ', 'nope:5', 'vms:1234567890123456789', 'x'.repeat(7000), 'vms\n:1', '__proto__:1', 'constructor:1'];
    for (const payload of junk) await writer.query('SELECT pg_notify($1, $2)', [CHANNEL, payload]);
    await writer.query(`SELECT pg_notify('other_channel', 'vms:1')`);
    await drained();
    assert.deepEqual(heard, []);
    assert.deepEqual(warnings, []);
  });

  it('issue 12.2: the version check makes up for a notification that never came, on this tick and the next', async (t) => {
    await startFeed(100);
    await writer.query(`SELECT nextval('gatehouse_change_seq')`); // what a trigger does, without its NOTIFY
    const started = performance.now();
    await pollUntil(2_000, async () => heardAll(1) || `heard ${heard.join(',')}`);
    const first = performance.now() - started;
    await pollUntil(2_000, async () => heardAll(2) || `heard ${heard.join(',')}`);
    t.diagnostic(`missed change emitted after ${first.toFixed(0)} ms and again after ${(performance.now() - started).toFixed(0)} ms (check every 100 ms)`);
  });

  it('issue 12.2: a lost listener is logged, reconnects with backoff when the database lets it, and then emits every topic', async (t) => {
    const admin = new pg.Client({ connectionString: POSTGRES_URL });
    await admin.connect();
    const name = new URL(url).pathname.slice(1);
    try {
      await startFeed(NEVER);
      await admin.query(`ALTER DATABASE ${name} ALLOW_CONNECTIONS false`);
      await writer.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'LISTEN%'`);
      await pollUntil(5_000, async () => warnings.some((w) => /^change listener lost \(57P01: terminating connection/.test(w)) || warnings.join('|') || 'no warning');
      await writer.query('DELETE FROM vms WHERE false'); // nobody listens: this notification is lost
      // An outage, not a wait for an event: the reconnects due 100 and 300 ms after the loss are refused.
      await new Promise((resolve) => setTimeout(resolve, 400));
      await admin.query(`ALTER DATABASE ${name} ALLOW_CONNECTIONS true`);
      const started = performance.now();
      await pollUntil(6_000, async () => heardAll(1) || `heard ${heard.join(',')}`);
      t.diagnostic(`every topic emitted ${(performance.now() - started).toFixed(0)} ms after the database let connections in again`);
      assert.equal(warnings.length, 2, warnings.join('\n'));
      const [, attempts] = /^change listener regained after \d+ ms \((\d+) attempts\)$/.exec(warnings[1]) ?? assert.fail(warnings[1]);
      assert.ok(Number(attempts) >= 3, `${attempts} attempts: the refused ones were retried with backoff`);
      assert.ok(!warnings.join('\n').includes(url) && !warnings.join('\n').includes('postgres://'), 'the URL is never logged');
      // And it listens again.
      heard = [];
      await writer.query('DELETE FROM user_limits WHERE false');
      await drained();
      assert.deepEqual(heard, ['limits']);
    } finally {
      await admin.query(`ALTER DATABASE ${name} ALLOW_CONNECTIONS true`);
      await admin.end();
    }
  });

  it('issue 12.2: notification latency, commit to emit, over 50 writes', async (t) => {
    await startFeed(NEVER);
    const ms: number[] = [];
    for (let i = 0; i < 50; i++) {
      heard = [];
      const started = performance.now();
      await writer.query('DELETE FROM vms WHERE false');
      await pollUntil(1_000, async () => heard.includes('vms') || 'not yet', 0);
      ms.push(performance.now() - started);
    }
    ms.sort((a, b) => a - b);
    t.diagnostic(`write + notification: median ${ms[25].toFixed(2)} ms, p95 ${ms[47].toFixed(2)} ms, max ${ms[49].toFixed(2)} ms`);
  });

  it('stopping closes the listener at once', async () => {
    await startFeed(50);
    assert.equal(await listeners(url), 1);
    await feed!.stop();
    assert.equal(await listeners(url), 0);
  });

  it('stopping during a reconnect backoff leaves no timer or socket: the process exits', async () => {
    const child = spawn(process.execPath, [fileURLToPath(new URL('./feedExit.js', import.meta.url)), url], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const code = await new Promise<number | string>((resolve) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        resolve('still running 10 s after stop');
      }, 10_000);
      child.on('exit', (c) => {
        clearTimeout(timer);
        resolve(c ?? 'killed');
      });
    });
    assert.equal(code, 0, output);
    assert.match(output, /stopped while reconnecting/);
  });
});
