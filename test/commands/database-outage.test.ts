// Issue 12.1, failure paths on PostgreSQL: a pool whose connections are cut reconnects on its own,
// and while the database refuses connections a command fails cleanly, then works once it is back.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { commandAsserts, STACK } from '../helpers/commands.js';
import { DATABASES, POSTGRES_URL } from '../helpers/databases.js';
import { startTestGatehouse, type TestGatehouse } from '../helpers/gatehouse.js';
import { connect, exec, execOn, signUp, type KeyPair } from '../helpers/ssh.js';

/** Runs SQL as the cluster's superuser, outside the instance's pool. */
async function asAdmin(text: string, values: unknown[] = []): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  try {
    return await client.query(text, values);
  } finally {
    await client.end();
  }
}

const POOL_SIZE = 3;

for (const database of DATABASES.filter((d) => d.name === 'postgres')) describe(`the database connection cut (${database.name})`, () => {
  let gh: TestGatehouse;
  let alice: KeyPair;
  let name: string;
  const { ok, okJson } = commandAsserts(() => gh.sshPort);
  const cutAll = () => asAdmin('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [name]);

  before(async () => {
    const env = await database.env();
    name = new URL(env.GATEHOUSE_DATABASE_URL).pathname.slice(1);
    gh = await startTestGatehouse({ ...env, GATEHOUSE_DATABASE_POOL_SIZE: String(POOL_SIZE) });
    alice = await signUp(gh.sshPort, 'alice');
  });
  after(async () => {
    await asAdmin(`ALTER DATABASE ${name} ALLOW_CONNECTIONS true`);
    await gh.stop();
  });

  /**
   * `ls --json` until it answers. pg does not retry: a query sent on a pooled connection before the
   * pool heard it was cut fails once (a command error, or a failed sign-in when the key lookup hit
   * it). Each failure must be clean, and a few tries (no sleeps) must get through.
   */
  async function lsOnceReconnected(): Promise<unknown[]> {
    for (let attempt = 1; attempt <= POOL_SIZE + 1; attempt++) {
      const r = await exec(gh.sshPort, alice, 'ls --json').catch((err: Error) => {
        assert.match(err.message, /authentication methods failed/);
        return undefined;
      });
      if (r?.code === 0) return JSON.parse(r.stdout);
      if (r) assert.doesNotMatch(r.stderr, STACK);
    }
    assert.fail(`no answer in ${POOL_SIZE + 1} tries after the connections were cut`);
  }

  it('issue 12.1: after every pooled connection is cut, commands work again (the pool reconnects)', async () => {
    for (let round = 0; round < 3; round++) {
      await ok(alice, `new --name cut-round-${round}`);
      assert.ok((await cutAll()).rowCount! >= 1, 'the instance had connections to cut');
      assert.equal((await lsOnceReconnected()).length, round + 1);
      assert.equal((await okJson(alice, 'ls')).length, round + 1, 'and every command after that');
    }
  });

  it('issue 12.1: while the database refuses connections a command fails cleanly; once it is back, it works', async () => {
    // Signed in before the outage: signing in needs the database too (the key is looked up).
    const session = await connect(gh.sshPort, alice);
    await asAdmin(`ALTER DATABASE ${name} ALLOW_CONNECTIONS false`);
    await cutAll();
    const refused = await execOn(session, 'new --name while-down').finally(() => session.end());
    assert.equal(refused.code, 1);
    assert.equal(refused.stdout, '');
    assert.match(refused.stderr, /^error: the database is not answering; try again shortly/);
    assert.doesNotMatch(refused.stderr, STACK);
    assert.doesNotMatch(refused.stderr, /password|postgres:\/\//, 'nothing about the connection is shown');
    await asAdmin(`ALTER DATABASE ${name} ALLOW_CONNECTIONS true`);
    await ok(alice, 'new --name after-down');
    assert.deepEqual((await okJson(alice, 'ls')).map((v: { name: string }) => v.name).filter((n: string) => !n.startsWith('cut-')), ['after-down']);
  });
});
