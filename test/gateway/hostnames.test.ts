// Hostnames other than llm ones (issue #4): reflection hostnames (fields, disabled fields),
// team hostnames (of a caller in no team; teams: test/teams/), unknown and foreign integration names, Host normalisation.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { signUp, type KeyPair } from '../helpers/ssh.js';
import { ANTHROPIC_BODY, assertRefused, intHost, startGatewayEnv, type GatewayEnv } from '../helpers/gateway.js';

let env: GatewayEnv;
let bob: KeyPair;

before(async () => {
  env = await startGatewayEnv();
  bob = await signUp(env.gh.sshPort, 'bob');
  await env.ok(bob, 'new --name bob-box --address 127.0.0.4');
  await env.ok(bob, 'integrations add llm --name bobs --attach vm:bob-box');
});
after(() => env.stop());
beforeEach(() => env.mock.reset());

describe('reflection hostnames', () => {
  const REFLECTION = intHost('reflection');

  it('GET / lists the enabled fields; each field answers for the calling VM', async () => {
    const root = await env.request({ path: '/', host: REFLECTION });
    assert.equal(root.status, 200);
    assert.deepEqual(root.json().fields.sort(), ['/comment', '/email', '/integrations', '/tags']);
    assert.deepEqual((await env.request({ path: '/email', host: REFLECTION })).json(), { email: 'alice@example.com' });
    assert.deepEqual((await env.request({ path: '/tags', host: REFLECTION })).json(), { tags: ['dev'] });
    assert.deepEqual((await env.request({ path: '/comment', host: REFLECTION })).json(), { comment: 'the dev box' });
    const integrations = (await env.request({ path: '/integrations', host: REFLECTION })).json().integrations;
    const names = integrations.map((i: any) => i.name);
    assert.ok(names.includes('llm') && names.includes('reflection'));
    const llm = integrations.find((i: any) => i.name === 'llm');
    assert.equal(llm.type, 'llm');
    assert.match(llm.help, /llm\.int\.gatehouse\.localhost\/v1\/models/);
    assert.equal(env.mock.requests.length, 0);
  });

  it('an unknown reflection path is 404, a write is refused', async () => {
    assert.equal((await env.request({ path: '/password', host: REFLECTION })).status, 404);
    assert.equal((await env.request({ path: '/email', host: REFLECTION, body: { email: 'x' } })).status, 400);
  });

  it('after "integrations edit reflection --fields email" a disabled field answers 403', async () => {
    await env.ok(env.alice, 'integrations edit reflection --fields email');
    try {
      assert.deepEqual((await env.request({ path: '/', host: REFLECTION })).json(), { fields: ['/email'] });
      assert.equal((await env.request({ path: '/email', host: REFLECTION })).status, 200);
      for (const field of ['/tags', '/comment', '/integrations']) {
        const r = await env.request({ path: field, host: REFLECTION });
        assert.equal(r.status, 403, field);
        assert.match(r.json().error.message, /not enabled/);
      }
    } finally {
      await env.ok(env.alice, 'integrations edit reflection --fields all');
    }
  });
});

describe('other hostnames', () => {
  it('NAME.team.DOMAIN from a VM whose owner is in no team is refused (403), even for a name the owner has personally', async () => {
    assertRefused(await env.request({ path: '/v1/models', host: 'llm.team.gatehouse.localhost' }), env.mock, 403, 'openai', /^you are not in a team/);
  });

  it('an integration name that does not exist is 404', async () => {
    assertRefused(await env.request({ path: '/v1/models', host: intHost('nosuch') }), env.mock, 404, 'openai', 'integration "nosuch" not found');
  });

  it('the Host port and case do not matter', async () => {
    const r = await env.request({ path: '/v1/models', host: `LLM.Int.Gatehouse.Localhost:${env.port}` });
    assert.equal(r.status, 200);
    assert.equal(r.json().object, 'list');
  });

  it('another user’s integration is 404 on a hostname and on the metadata path', async () => {
    assertRefused(await env.request({ path: '/v1/models', host: intHost('bobs') }), env.mock, 404, 'openai', 'integration "bobs" not found');
    assertRefused(await env.request({ path: '/gateway/bobs/anthropic/v1/messages', body: ANTHROPIC_BODY }), env.mock, 404, 'anthropic', 'integration "bobs" not found');
    // bob's own VM reaches it.
    assert.equal((await env.request({ from: '127.0.0.4', path: '/v1/models', host: intHost('bobs') })).status, 200);
  });
});
