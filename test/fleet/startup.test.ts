// issue 12.1 and 12.5: fleet instances starting together on one database, and the one secret
// they must share. `gatehouse serve` runs as child processes, as an operator starts them.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import pg from 'pg';
import { migrations } from '../../src/db/migrations/index.js';
import { DATABASES, freshPostgresUrl, POSTGRES_URL, type TestDatabase } from '../helpers/databases.js';
import { tempDir } from '../helpers/gatehouse.js';
import { killServed, serve, serveRefused, type Served } from '../helpers/serve.js';
import { exec, signUp } from '../helpers/ssh.js';

/** No request goes upstream in these tests: a closed port will do. */
const UPSTREAM = 'http://127.0.0.1:9';
const PASSWORD = 'fleet-db-pw-7f3c9a';
const newSecret = () => crypto.randomBytes(32).toString('hex');

after(killServed);

async function query<T>(url: string, sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql)).rows as T[];
  } finally {
    await client.end();
  }
}

/** The test cluster trusts every login: any password works, and must then appear nowhere. */
function withPassword(url: string): string {
  const u = new URL(url);
  u.password = PASSWORD;
  return u.toString();
}

async function stopped(s: Served): Promise<void> {
  s.child.kill('SIGTERM');
  const { code } = await s.exited;
  assert.equal(code, 0, s.stderr());
}

describe('issue 12.1: instances starting together on one empty PostgreSQL', { skip: !POSTGRES_URL && 'PostgreSQL is not installed' }, () => {
  let url: string;
  let fleet: Served[];
  const secret = newSecret();

  before(async () => {
    url = withPassword(await freshPostgresUrl());
    fleet = await Promise.all([0, 1, 2].map(() => serve(UPSTREAM, {}, [], { databaseUrl: url, secretKey: secret })));
  });
  after(async () => {
    for (const s of fleet ?? []) await stopped(s);
  });

  it('issue 12.1: three instances started at the same moment all come up, with the schema migrated once', async () => {
    const applied = await query<{ name: string; n: number }>(url, 'SELECT name, count(*)::int AS n FROM kysely_migration GROUP BY name ORDER BY name');
    assert.deepEqual(applied, Object.keys(migrations).sort().map((name) => ({ name, n: 1 })));
    const checks = await query<{ n: number }>(url, "SELECT count(*)::int AS n FROM installation WHERE name = 'secret_check'");
    assert.deepEqual(checks, [{ n: 1 }]);
    for (const s of fleet) assert.doesNotMatch(s.stderr(), /error|WARN/i, 'no error lines');
  });

  it('issue 12.6: serve prints the database it uses, never the password', async () => {
    const where = new URL(url);
    for (const s of fleet) {
      await s.waitFor(/database PostgreSQL .*\n/);
      assert.ok((s.stdout() + s.stderr()).includes(`database PostgreSQL gatehouse@127.0.0.1:${where.port}${where.pathname} (pool 10);`), s.stdout());
      assert.ok(!s.stdout().includes(PASSWORD) && !s.stderr().includes(PASSWORD), 'the password appears nowhere');
    }
  });

  it('issue 12.5: an instance with another GATEHOUSE_SECRET_KEY exits non-zero naming the mismatch; the fleet keeps serving', async () => {
    const other = newSecret();
    const r = await serveRefused(UPSTREAM, {}, [], { databaseUrl: url, secretKey: other });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^gatehouse: error: GATEHOUSE_SECRET_KEY: differs from the key this database was set up with; stored provider keys could not be opened\n/);
    assert.match(r.stderr, /same GATEHOUSE_SECRET_KEY/);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    for (const text of [r.stdout, r.stderr]) for (const hidden of [other, secret, PASSWORD]) assert.ok(!text.includes(hidden), 'no key or password printed');
    const alice = await signUp(fleet[0].sshPort, 'alice');
    assert.equal((await exec(fleet[1].sshPort, alice, 'whoami')).code, 0);
  });

  it('issue 12.5: the fleet key given as --secret-key is named as the flag', async () => {
    const r = await serveRefused(UPSTREAM, {}, ['--secret-key', newSecret()], { databaseUrl: url });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^gatehouse: error: --secret-key \(GATEHOUSE_SECRET_KEY\): differs from the key/);
  });
});

/** Forgets the secret check, as a database made before it existed has none. */
async function forgetCheck(database: TestDatabase, target: { url?: string; dataDir: string }): Promise<void> {
  if (database.name === 'postgres') return void (await query(target.url!, 'DELETE FROM installation'));
  const db = new Database(path.join(target.dataDir, 'gatehouse.db'));
  db.prepare('DELETE FROM installation').run();
  db.close();
}

for (const database of DATABASES) {
  describe(`issue 12.5: one secret key per database (${database.name})`, () => {
    it('issue 12.5: the same database restarted with another key is refused; with its own key it starts', async () => {
      const dataDir = tempDir('gatehouse-secret-');
      const url = database.name === 'postgres' ? await freshPostgresUrl() : undefined;
      const first = newSecret();
      await stopped(await serve(UPSTREAM, {}, [], { dataDir, databaseUrl: url, secretKey: first }));
      const other = newSecret();
      const r = await serveRefused(UPSTREAM, {}, [], { dataDir, databaseUrl: url, secretKey: other });
      assert.equal(r.code, 1);
      assert.match(r.stderr, /GATEHOUSE_SECRET_KEY: differs from the key this database was set up with/);
      assert.ok(![first, other].some((k) => r.stderr.includes(k) || r.stdout.includes(k)), 'no key printed');
      await stopped(await serve(UPSTREAM, {}, [], { dataDir, databaseUrl: url, secretKey: first }));
    });

    it('issue 12.5: a key generated in the data dir, then another given by GATEHOUSE_SECRET_KEY, is refused', async () => {
      const dataDir = tempDir('gatehouse-secret-');
      const url = database.name === 'postgres' ? await freshPostgresUrl() : undefined;
      await stopped(await serve(UPSTREAM, {}, [], { dataDir, databaseUrl: url }));
      const r = await serveRefused(UPSTREAM, {}, [], { dataDir, databaseUrl: url, secretKey: newSecret() });
      assert.equal(r.code, 1);
      assert.match(r.stderr, /GATEHOUSE_SECRET_KEY: differs/);
    });

    it('issue 12.5: a database from before the check, holding sealed keys, is refused by a wrong key and adopted by its own', async () => {
      const dataDir = tempDir('gatehouse-secret-');
      const url = database.name === 'postgres' ? await freshPostgresUrl() : undefined;
      const own = newSecret();
      const s = await serve(UPSTREAM, {}, [], { dataDir, databaseUrl: url, secretKey: own });
      const alice = await signUp(s.sshPort, 'alice');
      const added = await exec(s.sshPort, alice, 'integrations add llm --name mine --anthropic=byok --anthropic-key=-', { stdin: 'sk-ant-byok-secret-0001\n' });
      assert.equal(added.code, 0, added.stderr);
      await stopped(s);
      await forgetCheck(database, { url, dataDir });
      const r = await serveRefused(UPSTREAM, {}, [], { dataDir, databaseUrl: url, secretKey: newSecret() });
      assert.equal(r.code, 1);
      assert.match(r.stderr, /GATEHOUSE_SECRET_KEY: differs/);
      const again = await serve(UPSTREAM, {}, [], { dataDir, databaseUrl: url, secretKey: own });
      assert.equal((await exec(again.sshPort, alice, 'integrations list')).code, 0);
      await stopped(again);
      // Adopted: its own key stored the check again, which now refuses a wrong key by itself.
      const refused = await serveRefused(UPSTREAM, {}, [], { dataDir, databaseUrl: url, secretKey: newSecret() });
      assert.equal(refused.code, 1);
    });
  });
}
