// Issue 14.4 across a fleet: two instances A and B on one PostgreSQL. A member added on A is served
// by B, and a member removed on A is refused by B from the next request, within one second (the
// change feed rebuilds B's index on topic 'teams'); a member's API key likewise.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { startMockProvider, type MockProvider } from '../fixtures/mockProvider.js';
import { pollUntil } from '../fleet/fleet.js';
import { freshPostgresUrl, POSTGRES_URL } from '../helpers/databases.js';
import { startTestGatehouse, type TestGatehouse } from '../helpers/gatehouse.js';
import { ANTHROPIC_BODY, BASE_PATH, operatorEnv, request, type Reply } from '../helpers/gateway.js';
import { exec, signUp, type KeyPair } from '../helpers/ssh.js';
import { TEAM_KEY, teamHost } from './helpers.js';

const ANTHROPIC = { 'anthropic-version': '2023-06-01' };
const BOB_VM = '127.0.0.3';

describe('team membership across a fleet (issue 14.4)', { skip: !POSTGRES_URL && 'no PostgreSQL' }, () => {
  let mock: MockProvider;
  let a: TestGatehouse;
  let b: TestGatehouse;
  let alice: KeyPair;
  let bob: KeyPair;
  let bobsKey: string;
  const call = (gh: TestGatehouse, headers: Record<string, string> = {}, from = BOB_VM): Promise<Reply> =>
    request(gh.gatewayPort, { from, host: teamHost('shared'), path: '/v1/messages', headers: { ...ANTHROPIC, ...headers }, body: ANTHROPIC_BODY });
  /** Every change is made over SSH on A. */
  const ok = async (key: KeyPair, command: string, stdin?: string) => {
    const r = await exec(a.sshPort, key, command, stdin === undefined ? {} : { stdin });
    assert.equal(r.code, 0, `${command}: ${r.stderr}`);
    return r.stdout;
  };

  before(async () => {
    mock = await startMockProvider({ basePath: BASE_PATH });
    const url = await freshPostgresUrl();
    const secret = randomBytes(32).toString('hex');
    const env = { GATEHOUSE_DATABASE_URL: url, GATEHOUSE_SECRET_KEY: secret, ...operatorEnv(mock.url) };
    a = await startTestGatehouse(env);
    b = await startTestGatehouse(env);
    alice = await signUp(a.sshPort, 'alice');
    bob = await signUp(a.sshPort, 'bob');
    await ok(alice, 'new --name alice-box --address 127.0.0.2 --tag dev');
    await ok(bob, `new --name bob-dev --address ${BOB_VM} --tag dev`);
    bobsKey = JSON.parse(await ok(bob, 'keys create --name laptop --json')).key;
    await ok(alice, 'team create acme');
    await ok(alice, 'integrations add llm --name shared --team --anthropic=byok --anthropic-key=- --attach tag:dev', TEAM_KEY);
  });
  after(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await mock?.close();
  });

  it('bob added on A is served by B within a second, with the team\'s key', async () => {
    assert.equal((await call(b)).status, 403);
    await ok(alice, 'team add bob');
    await pollUntil(1000, async () => (await call(b)).status === 200 || 'refused');
    assert.equal(mock.lastRequest()!.headers['x-api-key'], TEAM_KEY);
    assert.equal((await call(b, { 'x-api-key': bobsKey }, '127.0.0.1')).status, 200);
  });

  it('bob removed on A: B refuses his VM\'s next request and his key within one second', async () => {
    assert.equal((await call(a)).status, 200);
    assert.equal((await call(b)).status, 200);
    await ok(alice, 'team remove bob');
    const took = await pollUntil(1000, async () => (await call(b)).status === 403 || 'still served');
    assert.ok(took < 1000, `${took} ms`);
    const refused = await call(b);
    assert.equal(refused.json().type, 'error');
    assert.match(refused.json().error.message, /^you are not in a team/);
    assert.equal((await call(b, { 'x-api-key': bobsKey }, '127.0.0.1')).status, 403);
    assert.equal((await call(a)).status, 403);
    // alice, still a member, is served by both.
    assert.equal((await call(a, {}, '127.0.0.2')).status, 200);
    assert.equal((await call(b, {}, '127.0.0.2')).status, 200);
  });
});
