// The crash-loss bound of usage rows (issue #5): "a crash loses at most the rows of the last
// second and never more than BATCH - 1 (99) rows". First the UsageWriter against a real SQLite file, then
// `gatehouse serve` as a child process, killed with SIGKILL. These tests are about time, so they
// poll the database against a deadline; nothing else waits on the clock.
import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DATABASES } from '../helpers/databases.js';
import Database from 'better-sqlite3';
import pg from 'pg';
import { createAccount } from '../../src/core/accounts.js';
import { parsePublicKey } from '../../src/core/publicKey.js';
import { BACKLOG_CAP, BATCH, UsageWriter } from '../../src/core/usageWriter.js';
import { openDatabase, type Db } from '../../src/db/open.js';
import type { NewUsageRow } from '../../src/db/schema.js';
import type { Log } from '../../src/log.js';
import { startMockProvider, type MockProvider } from '../fixtures/mockProvider.js';
import { tempDir } from '../helpers/gatehouse.js';
import { listenPort } from '../helpers/serve.js';
import { exec, newKey } from '../helpers/ssh.js';
import { closeAgents, ROOT, send, sqliteUsageRows, until } from './helpers.js';

function row(userId: number, i: number): NewUsageRow {
  const now = new Date();
  return {
    created_at: now.toISOString(), month: now.toISOString().slice(0, 7), request_id: `req-${i}`, user_id: userId, vm_id: null, vm_name: null,
    api_key_id: null, api_key_name: null, integration_id: null, integration_name: 'llm', provider: 'anthropic', model: 'claude-opus-5-5',
    source: 'gateway', api: 'messages', status: 200, input_tokens: i, output_tokens: 1, cache_read_tokens: 0, cache_write_tokens: 0,
    cost_micros: 0, latency_ms: 1, ttfb_ms: 1, session_id: null,
  };
}

for (const database of DATABASES) {
  describe(`UsageWriter against a real database (${database.name})`, () => {
    let db: Db;
    let userId: number;
    const logged: string[] = [];
    const log: Log = { debug: () => {}, child: () => log, info: () => {}, warn: () => {}, error: (m) => void logged.push(m) };
    /** Rows committed: the SQLite file through a second connection, or PostgreSQL through the pool. */
    let committed: () => Promise<number>;
    let url: string | undefined;

    before(async () => {
      const env = await database.env();
      url = env.GATEHOUSE_DATABASE_URL;
      if (env.GATEHOUSE_DATABASE_URL) {
        db = await openDatabase({ kind: 'postgres', url: env.GATEHOUSE_DATABASE_URL, poolSize: 4 });
        committed = async () => Number((await db.selectFrom('usage').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
      } else {
        const file = path.join(tempDir(), 'gatehouse.db');
        db = await openDatabase(file);
        const reader = new Database(file, { readonly: true }); // a second connection sees only what was committed
        committed = async () => (reader.prepare('SELECT count(*) AS n FROM usage').get() as { n: number }).n;
      }
      userId = (await createAccount(db, { name: 'alice', key: parsePublicKey(newKey().public) })).id;
    });
    after(async () => {
      await db.destroy();
    });

    if (database.name === 'sqlite') {
      it(`never holds more than ${BATCH - 1} rows, and loses or doubles none`, async () => {
        const writer = new UsageWriter(db, log, { flushMs: 60_000 }); // no timer flush during this test: the batch bound alone
        try {
          const start = await committed();
          let added = 0;
          let maxUnwritten = 0;
          for (let i = 0; i < 3 * BATCH + 123; i++) {
            writer.add(row(userId, i));
            added++;
            maxUnwritten = Math.max(maxUnwritten, writer.unwritten);
            assert.ok(writer.unwritten <= BATCH - 1, `after ${added} adds: ${writer.unwritten} unwritten`);
            assert.equal((await committed()) - start + writer.unwritten, added, `after ${added} adds`);
            if (added === BATCH) assert.equal(writer.unwritten, 0, 'the BATCH-th row commits the batch at once');
          }
          assert.equal(maxUnwritten, BATCH - 1);
          void writer.flush(); // synchronous on SQLite, awaited or not
          assert.equal(writer.unwritten, 0);
          assert.equal((await committed()) - start, added, 'flush() commits the rest');
        } finally {
          await writer.close();
        }
      });
    } else {
      it('issue 12.4: one write in flight; rows that arrive meanwhile wait for the next; none lost or doubled', async () => {
        const writer = new UsageWriter(db, log, { flushMs: 60_000 });
        try {
          const start = await committed();
          let added = 0;
          for (let burst = 0; burst < 8; burst++) {
            for (let i = 0; i < BATCH + 37; i++) writer.add(row(userId, added++)); // the BATCH-th starts a write; the rest wait
            assert.ok(writer.unwritten >= 37, 'rows added while a write is in flight wait for the next one');
            if (burst % 2) continue; // odd bursts pile onto rows still waiting
            await writer.flush();
            assert.equal(writer.unwritten, 0);
            assert.equal((await committed()) - start, added, `after burst ${burst}: every row committed once`);
          }
          await writer.flush();
          assert.equal(writer.unwritten, 0);
          assert.equal((await committed()) - start, added, 'flush() commits the rest');
        } finally {
          await writer.close();
        }
      });

      it('issue 12.4: while a write hangs, rows waiting in memory stay within BACKLOG_CAP (oldest dropped, one log line)', async () => {
        const start = await committed();
        const blocker = new pg.Client({ connectionString: url }); // holds the table: the writer's INSERT waits, neither failing nor done
        await blocker.connect();
        await blocker.query('BEGIN');
        await blocker.query('LOCK TABLE usage IN ACCESS EXCLUSIVE MODE');
        const dropped: NewUsageRow[] = [];
        const writer = new UsageWriter(db, log, { flushMs: 60_000, onDone: (rows, ok) => void (ok || dropped.push(...rows)) });
        const logsBefore = logged.length;
        try {
          for (let i = 0; i < BATCH; i++) writer.add(row(userId, i)); // the write in flight, hanging
          for (let i = 0; i < 3 * BACKLOG_CAP; i++) {
            writer.add(row(userId, BATCH + i));
            assert.ok(writer.unwritten <= BATCH + BACKLOG_CAP, `after ${i + 1} more adds: ${writer.unwritten} unwritten`);
          }
          assert.equal(dropped.length, 2 * BACKLOG_CAP);
          assert.equal(dropped[0].request_id, `req-${BATCH}`, 'the oldest waiting go first');
          assert.equal(logged.slice(logsBefore).filter((m) => /dropping the oldest usage rows/.test(m)).length, 1, 'one log line per outage');
        } finally {
          await blocker.query('ROLLBACK');
          await blocker.end();
          await writer.close();
        }
        assert.equal(writer.unwritten, 0);
        assert.equal((await committed()) - start, BATCH + BACKLOG_CAP, 'the write in flight and the newest BACKLOG_CAP rows');
      });
    }

    it('a row added is committed within about a second, without any other activity', async () => {
      const writer = new UsageWriter(db, log);
      try {
        // Rows at different phases of the flush timer: each must land within ~1 s of its add().
        for (let i = 0; i < 2; i++) {
          const before = await committed();
          const added = Date.now();
          writer.add(row(userId, i));
          assert.equal(await committed(), before, 'not written on the request path');
          await until(async () => (await committed()) === before + 1, 'row committed', 1500);
          const took = Date.now() - added;
          assert.ok(took <= 1250, `committed after ${took} ms`);
          await new Promise((r) => setTimeout(r, 400)); // shift the next add against the timer
        }
      } finally {
        await writer.close();
      }
    });

    it('a row the database refuses does not hold back or lose the rows beside it', async () => {
      const writer = new UsageWriter(db, log, { flushMs: 60_000 });
      try {
        const start = await committed();
        for (let i = 0; i < 10; i++) writer.add(row(i === 4 ? 999_999 : userId, i)); // no such user: a foreign-key violation
        await writer.flush();
        assert.equal(writer.unwritten, 0);
        assert.equal((await committed()) - start, 9);
        assert.ok(logged.some((m) => /dropping a usage row/.test(m)));
      } finally {
        await writer.close();
      }
    });
  });
}

// ---------------------------------------------------------------------------------------------

const BIN = path.join(ROOT, 'bin', 'gatehouse.js');

function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('GATEHOUSE_')));
  return { ...env, ...extra };
}

interface Served {
  child: ChildProcessWithoutNullStreams;
  sshPort: number;
  gatewayPort: number;
}

/** `gatehouse serve` in a child process; resolves once both ports are printed. */
function serve(dataDir: string, upstream: string): Promise<Served> {
  const child = spawn(process.execPath, [BIN, 'serve', '--ssh-listen', '127.0.0.1:0', '--gateway-listen', '127.0.0.1:0', '--admin-listen', '127.0.0.1:0', '--web-listen', '127.0.0.1:0', '--data-dir', dataDir], {
    env: cleanEnv({ GATEHOUSE_ANTHROPIC_UPSTREAM: upstream, GATEHOUSE_ANTHROPIC_API_KEY: 'x' }),
  });
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`serve did not start: ${out} ${err}`));
    }, 10_000);
    // The `listening` log lines (stdout or stderr, whatever the log's format) give the ports.
    const check = () => {
      try {
        const both = `${out}\n${err}`;
        const ports = { child, sshPort: listenPort(both, 'ssh'), gatewayPort: listenPort(both, 'gateway') };
        clearTimeout(timer);
        resolve(ports);
      } catch {
        // not both yet
      }
    };
    child.stderr.on('data', (d: Buffer) => ((err += d), check()));
    child.stdout.on('data', (d: Buffer) => ((out += d), check()));
    child.once('exit', (code) => reject(new Error(`serve exited ${code}: ${out} ${err}`)));
  });
}

function kill(child: ChildProcessWithoutNullStreams): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

function cli(args: string[]): Promise<{ code: number | null; out: string }> {
  const child = spawn(process.execPath, [BIN, ...args], { env: cleanEnv({}) });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d));
  child.stderr.on('data', (d: Buffer) => (out += d));
  child.stdin.end();
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, out })));
}

const MESSAGE = { model: 'claude-opus-5-5', max_tokens: 64, messages: [{ role: 'user', content: 'hi' }] };

async function burst(port: number, count: number, concurrency: number): Promise<number> {
  let next = 0;
  let okCount = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        next++;
        const r = await send(port, '/gateway/llm/anthropic/v1/messages', MESSAGE, { headers: { 'anthropic-version': '2023-06-01' } });
        assert.equal(r.status, 200, r.body);
        okCount++;
      }
    }),
  );
  return okCount;
}

describe('gatehouse serve killed with SIGKILL (issue #5 crash bound)', () => {
  let mock: MockProvider;
  let served: Served | undefined;
  const dataDir = tempDir();

  before(async () => {
    mock = await startMockProvider({ keys: { anthropic: 'x' }, scenario: { usage: { input: 10, output: 3 } } });
  });
  after(async () => {
    if (served) await kill(served.child);
    closeAgents();
    await mock.close();
  });

  it('rows of requests answered over a second before the crash are all there', async () => {
    served = await serve(dataDir, mock.url);
    const key = newKey('alice');
    const added = await cli(['user', 'add', 'alice', '--key', key.public, '--data-dir', dataDir]);
    assert.equal(added.code, 0, added.out);
    const vm = await exec(served.sshPort, key, 'new --name devbox --address 127.0.0.2');
    assert.equal(vm.code, 0, vm.stderr);

    const n = 40;
    assert.equal(await burst(served.gatewayPort, n, 8), n);
    await new Promise((r) => setTimeout(r, 1500)); // the bound under test is about time: "the last second", with slack for timer drift
    await kill(served.child);
    served = undefined;

    const rows = sqliteUsageRows(path.join(dataDir, "gatehouse.db"));
    assert.equal(rows.length, n);
    assert.ok(rows.every((r) => r.vm_name === 'devbox' && r.status === 200 && r.input_tokens === 10 && r.output_tokens === 3 && r.model === 'claude-opus-5-5'));
  });

  it(`requests killed at once: at most ${BATCH - 1} rows are missing`, async () => {
    served = await serve(dataDir, mock.url);
    const before = sqliteUsageRows(path.join(dataDir, "gatehouse.db")).length;
    const n = 2 * BATCH + 150; // more than a batch can hold, so the bound is not met by doing nothing
    const answered = await burst(served.gatewayPort, n, 32);
    await kill(served.child); // the moment the last answer arrived
    served = undefined;
    const written = sqliteUsageRows(path.join(dataDir, "gatehouse.db")).length - before;
    assert.equal(answered, n);
    assert.ok(written <= n, `${written} rows for ${n} requests`);
    assert.ok(n - written <= BATCH - 1, `${n - written} rows lost`);
  });
});
