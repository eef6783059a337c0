// Issue 14 (points 2, 4, 5): team integrations on the gateway, from the VMs' own addresses.
// alice owns team acme, bob is a member (user), carol is in no team, dave owns team zeta; the
// team's BYOK integration `shared` is attached to tag:dev. Who may call NAME.team.DOMAIN (and the
// metadata path), what the upstream sees, what reflection lists, and removal from the next request.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { pollUntil } from '../fleet/fleet.js';
import { ANTHROPIC_BODY, assertRefused, intHost, OPERATOR_KEYS } from '../helpers/gateway.js';
import type { KeyPair } from '../helpers/ssh.js';
import { framesUntil, openSocket, type Refusal } from '../helpers/websocket.js';
import { usageRows } from '../metering/helpers.js';
import { DATABASES } from '../helpers/databases.js';
import { startTeamEnv, TEAM_KEY, teamHost, VM, type TeamEnv } from './helpers.js';

const ZETA_KEY = 'sk-ant-team-zeta-0077';
const DAVE_VM = '127.0.0.6';
const ANTHROPIC = { 'anthropic-version': '2023-06-01' };
/** What a VM may send on its own: none of it may reach the upstream. */
const VM_HEADERS = { ...ANTHROPIC, authorization: 'Bearer sk-ant-vm-own-secret', cookie: 'session=vm-cookie' };
const SHARED = teamHost('shared');

for (const database of DATABASES) describe(`team integrations on the gateway (issue 14) on ${database.name}`, () => {
  let env: TeamEnv;
  let dave: KeyPair;
  const messages = (from: string, host = SHARED, headers: Record<string, string> = VM_HEADERS) => env.request({ from, host, path: '/v1/messages', headers, body: ANTHROPIC_BODY });

  before(async () => {
    env = await startTeamEnv(database);
    await env.ok(env.alice, 'team create acme');
    await env.ok(env.alice, 'team add bob');
    await env.ok(env.alice, 'integrations add llm --name shared --team --anthropic=byok --anthropic-key=- --attach tag:dev', TEAM_KEY);
    dave = await env.user('dave');
    await env.ok(dave, `new --name dave-dev --address ${DAVE_VM} --tag dev`);
    await env.ok(dave, 'team create zeta');
    await env.ok(dave, 'integrations add llm --name shared --team --anthropic=byok --anthropic-key=- --attach tag:dev', ZETA_KEY);
  });
  after(() => env?.stop());
  beforeEach(() => env.mock.reset());

  it('acceptance: bob\'s VM tagged dev calls shared.team.DOMAIN; the upstream sees the team\'s key and none of the VM\'s headers; metered at cost 0 for the team', async () => {
    const reply = await messages(VM.bobDev);
    assert.equal(reply.status, 200, reply.text);
    assert.equal(reply.json().type, 'message');
    const seen = env.mock.lastRequest()!;
    assert.equal(seen.path, '/v1/messages');
    assert.equal(seen.headers['x-api-key'], TEAM_KEY);
    assert.equal(seen.headers.authorization, undefined);
    assert.equal(seen.headers.cookie, undefined);
    assert.ok(!JSON.stringify(seen.headers).includes('vm-own-secret'));
    const row = await lastRow(env, reply.headers['x-gatehouse-request-id'] as string);
    assert.equal(row.source, 'byok');
    assert.equal(Number(row.cost_micros), 0);
    assert.equal(row.integration_name, 'shared');
    assert.equal(row.vm_name, 'bob-dev');
    assert.notEqual(row.team_id, null);
  });

  it('the owner\'s VM with the tag is served too, and the metadata path finds the team\'s integration', async () => {
    assert.equal((await messages(VM.alice)).status, 200);
    const meta = await env.request({ from: VM.bobDev, path: '/gateway/shared/anthropic/v1/messages', headers: ANTHROPIC, body: ANTHROPIC_BODY });
    assert.equal(meta.status, 200, meta.text);
    assert.equal(env.mock.requests.length, 2);
    assert.ok(env.mock.requests.every((r) => r.headers['x-api-key'] === TEAM_KEY));
  });

  it('acceptance: bob\'s VM without the tag is refused in the Anthropic shape, with the tag that would attach it', async () => {
    assertRefused(await messages(VM.bobPlain), env.mock, 403, 'anthropic', /^team integration "shared" is not attached to VM bob-plain: .*tagged dev; tag this VM over SSH: tag bob-plain dev$/);
  });

  it('acceptance: carol (in no team) with a VM tagged dev is refused in the Anthropic shape, on the hostname and on the metadata path', async () => {
    assertRefused(await messages(VM.carolDev), env.mock, 403, 'anthropic', /^you are not in a team/);
    const meta = await env.request({ from: VM.carolDev, path: '/gateway/shared/anthropic/v1/messages', headers: ANTHROPIC, body: ANTHROPIC_BODY });
    assertRefused(meta, env.mock, 404, 'anthropic', 'integration "shared" not found');
  });

  it('the same name in another team is that team\'s: dave\'s VM reaches zeta\'s key, never acme\'s', async () => {
    assert.equal((await messages(DAVE_VM)).status, 200);
    assert.equal(env.mock.lastRequest()!.headers['x-api-key'], ZETA_KEY);
  });

  it('hostile hosts: another team\'s only name, odd characters, a lookalike domain; the personal hostname of a team integration', async () => {
    await env.ok(dave, 'integrations add llm --name zonly --team --anthropic=byok --anthropic-key=- --attach tag:dev', ZETA_KEY);
    assert.equal((await messages(DAVE_VM, teamHost('zonly'))).status, 200);
    env.mock.reset();
    assertRefused(await messages(VM.bobDev, teamHost('zonly')), env.mock, 404, 'anthropic', 'team "acme" has no integration "zonly"');
    assertRefused(await messages(VM.bobDev, intHost('shared')), env.mock, 404, 'anthropic', /^integration "shared" not found among yours; team "acme" has one: call it at shared\.team/);
    for (const host of ['sh_red.team.gatehouse.localhost', '-x.team.gatehouse.localhost', 'shared.team.gatehouse.localhost.evil.example', 'shared..team.gatehouse.localhost', '%73hared.team.gatehouse.localhost']) {
      const r = await messages(VM.bobDev, host);
      assert.equal(r.status, 404, `${host}: ${r.text}`);
      assert.equal(r.json().type, 'error');
    }
    const odd = await env.request({ from: VM.bobDev, path: '/gateway/%1b%5b31m%22/anthropic/v1/messages', headers: ANTHROPIC, body: ANTHROPIC_BODY });
    assertRefused(odd, env.mock, 404, 'anthropic', /^integration ".*" not found$/);
    assert.ok(!odd.text.includes('\u001b'));
    // Case and port do not matter.
    assert.equal((await messages(VM.bobDev, `SHARED.Team.Gatehouse.Localhost:${env.port}`)).status, 200);
  });

  it('GET /v1/models on the team hostname lists what the integration serves', async () => {
    const r = await env.request({ from: VM.bobDev, host: SHARED, path: '/v1/models', headers: ANTHROPIC });
    assert.equal(r.status, 200);
    assert.ok(r.json().data.some((m: { id: string }) => m.id.startsWith('claude-')));
    assert.equal(env.mock.requests.length, 0);
  });

  it('issue 14.5: reflection lists the team integration attached by tag with "team": true (personal ones "team": false)', async () => {
    const listed = (from: string) => env.request({ from, host: intHost('reflection'), path: '/integrations' }).then((r) => r.json().integrations);
    const bobs = await listed(VM.bobDev);
    const shared = bobs.find((i: { name: string }) => i.name === 'shared');
    assert.deepEqual(shared, { name: 'shared', type: 'llm', team: true, help: 'LLM APIs without a key: curl http://shared.team.gatehouse.localhost/v1/models' });
    assert.equal(bobs.find((i: { name: string }) => i.name === 'llm').team, false);
    assert.equal((await listed(VM.bobPlain)).some((i: { name: string }) => i.name === 'shared'), false);
    assert.equal((await listed(VM.carolDev)).some((i: { team: boolean }) => i.team), false);
  });

  it('the Responses WebSocket on NAME.team.DOMAIN: a member\'s tagged VM is relayed with the operator\'s key (gateway source); carol is refused', async () => {
    const codex = { 'openai-beta': 'responses_websockets=2026-02-06', originator: 'codex_cli_rs', authorization: 'Bearer sk-vm-own' };
    const ws = await openSocket(`ws://127.0.0.1:${env.port}/v1/responses`, { localAddress: VM.bobDev, headers: { ...codex, host: SHARED } });
    const turn = framesUntil(ws, 'response.completed');
    ws.send(JSON.stringify({ type: 'response.create', model: 'gpt-5.5', input: 'hi' }));
    await turn;
    ws.close();
    assert.equal(env.mock.sockets[0].headers.authorization, `Bearer ${OPERATOR_KEYS.openai}`);
    const err = (await openSocket(`ws://127.0.0.1:${env.port}/v1/responses`, { localAddress: VM.carolDev, headers: { ...codex, host: SHARED } }).then(
      (w) => (w.terminate(), assert.fail('carol must not be relayed')),
      (e) => e,
    )) as Refusal;
    assert.equal(err.status, 403, err.body);
    assert.match(JSON.parse(err.body).error.message, /^you are not in a team/);
    assert.equal(env.mock.sockets.length, 1);
  });

  it('API keys: a member\'s unscoped key may use the team\'s integration; a revoked key is refused in the Anthropic shape', async () => {
    const { key } = JSON.parse(await env.ok(env.bob, 'keys create --name laptop --json'));
    const withKey = (k: string) => env.request({ from: '127.0.0.1', host: SHARED, path: '/v1/messages', headers: { ...ANTHROPIC, 'x-api-key': k }, body: ANTHROPIC_BODY });
    assert.equal((await withKey(key)).status, 200);
    assert.equal(env.mock.lastRequest()!.headers['x-api-key'], TEAM_KEY);
    const { key: carols } = JSON.parse(await env.ok(env.carol, 'keys create --name laptop --json'));
    env.mock.reset();
    assertRefused(await withKey(carols), env.mock, 403, 'anthropic', /^you are not in a team/);
    const { key: llmOnly } = JSON.parse(await env.ok(env.bob, 'keys create --name llm-only --integration llm --json'));
    assertRefused(await withKey(llmOnly), env.mock, 403, 'anthropic', /^API key "llm-only" is not scoped to integration "shared"/);
    await env.ok(env.bob, 'keys revoke laptop');
    assertRefused(await withKey(key), env.mock, 401, 'anthropic', /invalid API key/);
  });

  it('acceptance: after "team remove bob" bob\'s very next request is refused, his keys too; his personal llm still works', async () => {
    const { key } = JSON.parse(await env.ok(env.bob, 'keys create --name ci --json'));
    const { key: scoped } = JSON.parse(await env.ok(env.bob, 'keys create --name scoped --integration shared --json'));
    const withKey = (k: string) => env.request({ from: '127.0.0.1', host: SHARED, path: '/v1/messages', headers: { ...ANTHROPIC, 'x-api-key': k }, body: ANTHROPIC_BODY });
    assert.equal((await withKey(scoped)).status, 200);
    assert.equal((await messages(VM.bobDev)).status, 200);
    await env.ok(env.alice, 'team remove bob');
    env.mock.reset();
    assertRefused(await messages(VM.bobDev), env.mock, 403, 'anthropic', /^you are not in a team/);
    assertRefused(await withKey(key), env.mock, 403, 'anthropic', /^you are not in a team/);
    assertRefused(await withKey(scoped), env.mock, 403, 'anthropic', /^you are not in a team/);
    assertRefused(await env.request({ from: VM.bobDev, path: '/gateway/shared/anthropic/v1/messages', headers: ANTHROPIC, body: ANTHROPIC_BODY }), env.mock, 404, 'anthropic', 'integration "shared" not found');
    const own = await messages(VM.bobDev, intHost('llm'), ANTHROPIC);
    assert.equal(own.status, 200, own.text);
    assert.equal(env.mock.lastRequest()!.headers['x-api-key'], OPERATOR_KEYS.anthropic);
    // The rest of the team is still served.
    assert.equal((await messages(VM.alice)).status, 200);
  });

  it('leaving, a detached tag and a deleted team apply from the next request too', async () => {
    await env.ok(env.alice, 'team add bob');
    assert.equal((await messages(VM.bobDev)).status, 200);
    await env.ok(env.bob, 'team leave');
    env.mock.reset();
    assertRefused(await messages(VM.bobDev), env.mock, 403, 'anthropic', /^you are not in a team/);
    await env.ok(env.alice, 'integrations detach shared tag:dev --team');
    assertRefused(await messages(VM.alice), env.mock, 403, 'anthropic', /^team integration "shared" is not attached to VM alice-box: it has no tag attachment yet; a team owner or admin can add one/);
    await env.ok(env.alice, 'integrations attach shared tag:dev --team');
    assert.equal((await messages(VM.alice)).status, 200);
    await env.ok(env.alice, 'team delete --yes');
    env.mock.reset();
    assertRefused(await messages(VM.alice), env.mock, 403, 'anthropic', /^you are not in a team/);
    // Another team's integration of the same name is untouched.
    assert.equal((await messages(DAVE_VM)).status, 200);
    assert.equal(env.mock.lastRequest()!.headers['x-api-key'], ZETA_KEY);
  });
});

/** The usage row of a request, once the writer has flushed it. */
async function lastRow(env: TeamEnv, requestId: string): Promise<any> {
  let row: any;
  await pollUntil(5000, async () => {
    row = (await usageRows(env.gh)).find((r) => r.request_id === requestId);
    return row !== undefined || 'no row yet';
  });
  return row;
}
