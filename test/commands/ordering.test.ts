// Issue 12.1: listings come in one documented order, byte order (what SQLite does), on both
// databases. PostgreSQL would otherwise sort by the database's collation: here an ICU en-US one
// that ignores punctuation, as glibc's en_US.UTF-8 does, so "deva" sorts before "dev-b" and "a"
// before "B". The order is code point order, the same as JavaScript's default sort of our names.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { commandAsserts } from '../helpers/commands.js';
import { DATABASES, POSTGRES_URL, type TestDatabase } from '../helpers/databases.js';
import { startTestGatehouse, type TestGatehouse } from '../helpers/gatehouse.js';
import { signUp, type KeyPair } from '../helpers/ssh.js';

/** A new database whose default collation is not byte order. */
async function collatedPostgresUrl(): Promise<string> {
  const name = `gh_icu_${crypto.randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: POSTGRES_URL });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name} TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en-US-u-ka-shifted' LOCALE 'C.UTF-8'`);
  } finally {
    await admin.end();
  }
  const url = new URL(POSTGRES_URL!);
  url.pathname = `/${name}`;
  return url.toString();
}

const env = (database: TestDatabase) => (database.name === 'postgres' ? collatedPostgresUrl().then((url) => ({ GATEHOUSE_DATABASE_URL: url })) : database.env());
const byteOrder = (names: string[]) => [...names].sort();

for (const database of DATABASES) describe(`listing order (${database.name}${database.name === 'postgres' ? ', en-US collation' : ''})`, () => {
  let gh: TestGatehouse;
  let admin: KeyPair;
  const { ok, okJson } = commandAsserts(() => gh.sshPort);

  before(async () => {
    gh = await startTestGatehouse(await env(database));
    admin = await signUp(gh.sshPort, 'admin');
  });
  after(() => gh.stop());

  it('the test database really does sort otherwise (or is SQLite)', async () => {
    if (database.name === 'sqlite') return;
    const client = new pg.Client({ connectionString: (gh.config.database as { url: string }).url });
    await client.connect();
    try {
      const { rows } = await client.query("SELECT x FROM (VALUES ('dev-b'), ('deva'), ('B'), ('a')) v(x) ORDER BY x");
      assert.deepEqual(rows.map((r) => r.x), ['a', 'B', 'deva', 'dev-b']);
    } finally {
      await client.end();
    }
  });

  it('issue 12.1: ls orders VMs and their tags by bytes', async () => {
    const names = ['devb-b', 'devba', 'devb-a', 'devbb0'];
    for (const [i, name] of names.entries()) await ok(admin, `new --name ${name} --address 10.1.0.${i + 1} --tag ab --tag a_b --tag a-b`);
    const vms = await okJson(admin, 'ls');
    assert.deepEqual(vms.map((v: { name: string }) => v.name), byteOrder(names));
    assert.deepEqual(vms[0].tags, ['a-b', 'a_b', 'ab']);
    const lines = (await ok(admin, 'ls')).trimEnd().split('\n').slice(1);
    assert.deepEqual(lines.map((l) => l.split(/ {2,}/)[0]), byteOrder(names));
  });

  it('issue 12.1: integrations list and keys list order by bytes', async () => {
    for (const name of ['x-b', 'xa', 'x-a']) await ok(admin, `integrations add llm --name ${name}`);
    assert.deepEqual((await okJson(admin, 'integrations list')).map((i: { name: string }) => i.name), byteOrder(['llm', 'reflection', 'x-b', 'xa', 'x-a']));
    for (const name of ['b', 'B', 'a', 'A.1', 'a-1']) await okJson(admin, `keys create --name ${name}`);
    assert.deepEqual((await okJson(admin, 'keys list')).map((k: { name: string }) => k.name), byteOrder(['b', 'B', 'a', 'A.1', 'a-1']));
  });

  it('issue 12.1: admin limits show orders users by bytes', async () => {
    const users = ['b-c', 'bb', 'b_a'];
    for (const name of users) {
      await signUp(gh.sshPort, name);
      await ok(admin, `admin limits set ${name} --rpm 10`);
    }
    assert.deepEqual((await okJson(admin, 'admin limits show')).overrides.map((o: { user: string }) => o.user), byteOrder(users));
  });
});
