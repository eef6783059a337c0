// issue 12.6: the operator CLI against PostgreSQL, as an operator runs it (`node bin/gatehouse.js …`):
// user add/list, serve's startup lines, and the mistakes an operator makes with a database URL.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import pg from 'pg';
import { freshPostgresUrl, POSTGRES_URL } from '../helpers/databases.js';
import { tempDir } from '../helpers/gatehouse.js';
import { killServed, serve, serveRefused } from '../helpers/serve.js';
import { exec, newKey } from '../helpers/ssh.js';

const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../bin/gatehouse.js');
const DEADLINE_MS = 10_000;
const PASSWORD = 'cli-db-pw-41d8e2';
const STACK = /\n\s+at \S+/;
const UPSTREAM = 'http://127.0.0.1:9';

after(killServed);

interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs the CLI with only the given GATEHOUSE_* settings (none of the test runner's). */
function cli(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('GATEHOUSE_')));
  const started = performance.now();
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { cwd: tempDir('gatehouse-cwd-'), env: { ...clean, ...env }, timeout: DEADLINE_MS }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : null) : 0;
      resolve({ code, stdout, stderr, ms: performance.now() - started });
    });
  });
}

function withPassword(url: string, password = PASSWORD): string {
  const u = new URL(url);
  u.password = password;
  return u.toString();
}

/** A loopback port with nothing listening on it (closed again before use). */
function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function assertRefused(r: CliResult, pattern: RegExp, secret = PASSWORD): void {
  assert.equal(r.code, 1, `expected exit 1; stdout: ${r.stdout}; stderr: ${r.stderr}`);
  assert.match(r.stderr, pattern);
  assert.doesNotMatch(r.stderr, STACK, 'no stack trace for an operator mistake');
  assert.ok(!r.stdout.includes(secret) && !r.stderr.includes(secret), `the password is not echoed: ${r.stderr}`);
}

describe('issue 12.6: operator CLI help names the database settings', () => {
  it('serve --help lists GATEHOUSE_DATABASE_URL and GATEHOUSE_DATABASE_POOL_SIZE; user add/list --help mention --database-url', async () => {
    const r = await cli(['serve', '--help']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /--database-url +GATEHOUSE_DATABASE_URL +postgres:\/\//);
    assert.match(r.stdout, /--database-pool-size +GATEHOUSE_DATABASE_POOL_SIZE .*\(default: 10\)/);
    for (const sub of ['add', 'list']) assert.match((await cli(['user', sub, '--help'])).stdout, /--database-url GATEHOUSE_DATABASE_URL +the database serve uses, postgres:\/\//);
  });
});

describe('issue 12.6: a wrong database URL is one clear line, without the password', () => {
  it('issue 12.6: a closed port fails fast, for user list and for serve', async () => {
    const url = `postgres://gatehouse:${PASSWORD}@127.0.0.1:${await closedPort()}/fleet`;
    const list = await cli(['user', 'list', '--database-url', url]);
    assertRefused(list, /^gatehouse: error: cannot connect to PostgreSQL: connect ECONNREFUSED 127\.0\.0\.1:\d+\n/);
    assert.ok(list.ms < 5000, `failed within ${Math.round(list.ms)} ms`);
    const served = await serveRefused(UPSTREAM, { GATEHOUSE_DATABASE_URL: url });
    assertRefused({ ...served, ms: 0 }, /^gatehouse: error: cannot connect to PostgreSQL: connect ECONNREFUSED/);
  });

  it('issue 12.6: malformed URLs and pool sizes are refused naming the setting, never echoing the password', async () => {
    const cases: [string, Record<string, string>, RegExp][] = [
      ['bracket', { GATEHOUSE_DATABASE_URL: `postgres://u:${PASSWORD}@[bad/db` }, /GATEHOUSE_DATABASE_URL: is not a valid postgres:\/\/ URL/],
      ['port', { GATEHOUSE_DATABASE_URL: `postgres://u:${PASSWORD}@127.0.0.1:99999/db` }, /GATEHOUSE_DATABASE_URL: is not a valid postgres:\/\/ URL/],
      ['no host', { GATEHOUSE_DATABASE_URL: `postgres://u:${PASSWORD}@/db` }, /GATEHOUSE_DATABASE_URL: /],
      ['escape', { GATEHOUSE_DATABASE_URL: `postgres://u:${PASSWORD}%zz@127.0.0.1/db` }, /GATEHOUSE_DATABASE_URL: has a malformed %-escape/],
      ['mistyped scheme', { GATEHOUSE_DATABASE_URL: `postgress://u:${PASSWORD}@127.0.0.1/db` }, /GATEHOUSE_DATABASE_URL: unsupported scheme "postgress:"/],
      ['another database', { GATEHOUSE_DATABASE_URL: `mysql://u:${PASSWORD}@127.0.0.1/db` }, /GATEHOUSE_DATABASE_URL: unsupported scheme "mysql:"/],
      ['pool', { GATEHOUSE_DATABASE_URL: `postgres://u:${PASSWORD}@127.0.0.1/db`, GATEHOUSE_DATABASE_POOL_SIZE: 'lots' }, /GATEHOUSE_DATABASE_POOL_SIZE: /],
      ['pool size', { GATEHOUSE_DATABASE_URL: `postgres://u:${PASSWORD}@127.0.0.1/db`, GATEHOUSE_DATABASE_POOL_SIZE: '100000' }, /GATEHOUSE_DATABASE_POOL_SIZE: must be at most 1000/],
    ];
    for (const [what, env, pattern] of cases) {
      const r = await cli(['user', 'list'], env);
      assertRefused(r, pattern);
      assert.equal(r.stderr.split('\n').filter(Boolean).length, 1, `${what}: one line: ${r.stderr}`);
    }
    const flag = await cli(['user', 'list', '--database-url', `postgres://u:${PASSWORD}@[bad/db`]);
    assertRefused(flag, /^gatehouse: error: --database-url \(GATEHOUSE_DATABASE_URL\): is not a valid/);
  });
});

describe('issue 12.6: the operator CLI on PostgreSQL', { skip: !POSTGRES_URL && 'PostgreSQL is not installed' }, () => {
  it('issue 12.6: user add and user list --json act on the database given by --database-url or GATEHOUSE_DATABASE_URL', async () => {
    const url = withPassword(await freshPostgresUrl());
    const dir = tempDir('gatehouse-cli-');
    const alice = newKey('alice@laptop');
    fs.writeFileSync(path.join(dir, 'alice.pub'), alice.public + '\n');
    const a = await cli(['user', 'add', 'alice', '--key-file', path.join(dir, 'alice.pub'), '--database-url', url]);
    assert.equal(a.code, 0, a.stderr);
    assert.equal(a.stdout, 'Added user alice (admin)\n');
    const b = await cli(['user', 'add', 'bob', '--key', newKey('bob@laptop').public, '--email', 'bob@example.com'], { GATEHOUSE_DATABASE_URL: url });
    assert.equal(b.code, 0, b.stderr);
    const dup = await cli(['user', 'add', 'bob', '--key', newKey('bob2').public], { GATEHOUSE_DATABASE_URL: url });
    assertRefused({ ...dup, ms: 0 }, /bob/);
    const list = await cli(['user', 'list', '--json'], { GATEHOUSE_DATABASE_URL: url });
    assert.equal(list.code, 0, list.stderr);
    const users = JSON.parse(list.stdout) as { name: string; email: string; admin: boolean; keys: number }[];
    assert.deepEqual(users.map((u) => [u.name, u.email, u.admin, u.keys]), [['alice', '', true, 1], ['bob', 'bob@example.com', false, 1]]);
    for (const r of [a, b, list]) assert.ok(!r.stdout.includes(PASSWORD) && !r.stderr.includes(PASSWORD));
    // The user added by the CLI logs in to an instance on that database.
    const s = await serve(UPSTREAM, {}, [], { databaseUrl: url, secretKey: 'a'.repeat(64) });
    const whoami = await exec(s.sshPort, alice, 'whoami --json');
    assert.equal(whoami.code, 0, whoami.stderr);
    assert.equal(JSON.parse(whoami.stdout).name, 'alice');
  });

  it('issue 12.6: a database that does not exist is one clear line, without the password', async () => {
    const url = new URL(withPassword(POSTGRES_URL!));
    url.pathname = '/gh_no_such_database';
    const r = await cli(['user', 'list'], { GATEHOUSE_DATABASE_URL: url.toString() });
    assertRefused(r, /^gatehouse: error: cannot connect to PostgreSQL: database "gh_no_such_database" does not exist\n/);
  });

  it('issue 12.6: a connection cut while idle in the pool is logged, and serve keeps serving', async () => {
    const url = await freshPostgresUrl();
    const s = await serve(UPSTREAM, {}, [], { databaseUrl: url });
    const admin = new pg.Client({ connectionString: POSTGRES_URL });
    await admin.connect();
    try {
      const { rows } = await admin.query('SELECT pg_terminate_backend(pid) AS cut FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [new URL(url).pathname.slice(1)]);
      assert.ok(rows.length > 0, 'the instance holds idle connections');
    } finally {
      await admin.end();
    }
    await s.waitFor(/WARN database: an idle connection failed \(the pool replaces it\): /);
    assert.equal(s.child.exitCode, null, 'still running');
    const alice = newKey('alice@laptop');
    const added = await cli(['user', 'add', 'alice', '--key', alice.public], { GATEHOUSE_DATABASE_URL: url });
    assert.equal(added.code, 0, added.stderr);
    const whoami = await exec(s.sshPort, alice, 'whoami');
    assert.equal(whoami.code, 0, whoami.stderr);
  });
});
