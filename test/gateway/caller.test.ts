// Who is calling (issue #4): a VM known by its TCP source address, never by forwarding headers;
// IPv4-mapped IPv6 sources; attachment and ownership; index freshness after SSH changes.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { ANTHROPIC_BODY, assertRefused, canListenDualStack, CHAT_BODY, intHost, request, startGatewayEnv, UNKNOWN, type GatewayEnv } from '../helpers/gateway.js';

/** DESIGN.md §4 "Who is calling", word for word. */
const NOT_A_VM = 'this address is not a registered VM; register it over SSH with "new --address …", or send an API key';
let env: GatewayEnv;
let dualStack = false;
const LLM = intHost('llm');

before(async () => {
  dualStack = await canListenDualStack();
  // A second, dual-stack listener: IPv4 clients reach it as ::ffff:127.0.0.x.
  env = await startGatewayEnv({ env: dualStack ? { GATEHOUSE_GATEWAY_LISTEN: '127.0.0.1:0,[::]:0' } : {} });
  await env.ok(env.alice, 'new --name alice-other --address 127.0.0.3');
  await env.ok(env.alice, 'integrations add llm --name side --attach vm:alice-other');
});
after(() => env.stop());
beforeEach(() => env.mock.reset());

describe('unknown source address', () => {
  it('is 401 with the DESIGN message, in the caller’s error shape, before anything goes upstream', async () => {
    assertRefused(await env.request({ from: UNKNOWN, path: '/gateway/llm/anthropic/v1/messages', body: ANTHROPIC_BODY }), env.mock, 401, 'anthropic', NOT_A_VM);
    assertRefused(await env.request({ from: UNKNOWN, path: '/gateway/llm/openai/v1/chat/completions', body: CHAT_BODY }), env.mock, 401, 'openai', NOT_A_VM);
    assertRefused(await env.request({ from: UNKNOWN, path: '/v1/chat/completions', host: LLM, body: CHAT_BODY }), env.mock, 401, 'openai', NOT_A_VM);
    assertRefused(await env.request({ from: UNKNOWN, path: '/v1/models', host: LLM }), env.mock, 401, 'openai', NOT_A_VM);
  });

  it('issue #4: Claude Code’s POST /v1/messages?beta=true on a hostname gets its 401 in Anthropic shape', async () => {
    assertRefused(await env.request({ from: UNKNOWN, path: '/v1/messages?beta=true', host: LLM, body: ANTHROPIC_BODY }), env.mock, 401, 'anthropic', NOT_A_VM);
    assertRefused(await env.request({ from: UNKNOWN, path: '/v1/messages/count_tokens?beta=true', host: LLM, body: ANTHROPIC_BODY }), env.mock, 401, 'anthropic', NOT_A_VM);
  });

  it('issue #4: Gemini’s :streamGenerateContent?alt=sse gets its 401 in Gemini shape', async () => {
    const body = { contents: [] };
    assertRefused(await env.request({ from: UNKNOWN, path: '/v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=sse', host: LLM, body }), env.mock, 401, 'gemini', NOT_A_VM);
    assertRefused(await env.request({ from: UNKNOWN, path: '/gateway/llm/gemini/v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=sse', body }), env.mock, 401, 'gemini', NOT_A_VM);
    assertRefused(await env.request({ from: UNKNOWN, path: '/v1/models/gemini-2.5-pro:streamGenerateContent?alt=sse', host: LLM, body }), env.mock, 401, 'gemini', NOT_A_VM);
  });

  it('X-Forwarded-For and friends are ignored: a VM address in them does not help, a foreign one does not hurt', async () => {
    const spoof = { 'x-forwarded-for': '127.0.0.2', 'x-real-ip': '127.0.0.2', forwarded: 'for=127.0.0.2' };
    assertRefused(await env.request({ from: UNKNOWN, path: '/v1/models', host: LLM, headers: spoof }), env.mock, 401, 'openai', NOT_A_VM);
    const real = await env.request({ path: '/v1/models', host: LLM, headers: { 'x-forwarded-for': UNKNOWN, 'x-real-ip': UNKNOWN } });
    assert.equal(real.status, 200);
  });

  it('an IPv4-mapped IPv6 source (::ffff:127.0.0.2) is the VM at 127.0.0.2', async (t) => {
    if (!dualStack) return t.skip('cannot listen on [::] here');
    const port = env.gh.app.gatewayPorts[1];
    const r = await request(port, { path: '/v1/models', host: LLM });
    assert.equal(r.status, 200, r.text);
    assertRefused(await request(port, { from: UNKNOWN, path: '/v1/models', host: LLM }), env.mock, 401, 'openai', NOT_A_VM);
  });
});

describe('IPv6 VMs', () => {
  it('a VM registered at ::1 is known when it calls from ::1', async (t) => {
    if (!dualStack) return t.skip('cannot listen on [::] here');
    const port = env.gh.app.gatewayPorts[1];
    const before = await request(port, { to: '::1', from: '::1', path: '/v1/models', host: LLM });
    assert.equal(before.status, 401);
    await env.ok(env.alice, 'new --name alice-six --address 0:0:0:0:0:0:0:1');
    const after = await request(port, { to: '::1', from: '::1', path: '/v1/models', host: LLM });
    assert.equal(after.status, 200, after.text);
  });
});

describe('attachments and ownership', () => {
  it('an integration not attached to the calling VM is 403 with how to attach it', async () => {
    const message = 'integration "side" is not attached to VM alice-box; attach it over SSH: integrations attach side vm:alice-box';
    assertRefused(await env.request({ path: '/v1/chat/completions', host: intHost('side'), body: CHAT_BODY }), env.mock, 403, 'openai', message);
    assertRefused(await env.request({ path: '/gateway/side/anthropic/v1/messages', body: ANTHROPIC_BODY }), env.mock, 403, 'anthropic', message);
    // The VM it is attached to may use it.
    const ok = await env.request({ from: '127.0.0.3', path: '/gateway/side/anthropic/v1/messages', body: ANTHROPIC_BODY });
    assert.equal(ok.status, 200, ok.text);
  });

  it('attach and detach over SSH take effect on the next request', async () => {
    const req = () => env.request({ path: '/v1/models', host: intHost('side') });
    assert.equal((await req()).status, 403);
    await env.ok(env.alice, 'integrations attach side vm:alice-box');
    assert.equal((await req()).status, 200);
    await env.ok(env.alice, 'integrations detach side vm:alice-box');
    assert.equal((await req()).status, 403);
  });

  it('a tag attachment follows the VM’s tags', async () => {
    await env.ok(env.alice, 'integrations add llm --name tagged --attach tag:gpu');
    const req = () => env.request({ path: '/v1/models', host: intHost('tagged') });
    assert.equal((await req()).status, 403);
    await env.ok(env.alice, 'tag alice-box gpu');
    assert.equal((await req()).status, 200);
    await env.ok(env.alice, 'tag -d alice-box gpu');
    assert.equal((await req()).status, 403);
  });
});

describe('index freshness', () => {
  it('a VM registered after the gateway answered is recognised at once; a removed one is refused at once', async () => {
    const from = '127.0.0.5';
    // Warm the gateway's index: it has answered with the current VMs.
    assert.equal((await env.request({ path: '/v1/models', host: LLM })).status, 200);
    assert.equal((await env.request({ from, path: '/v1/models', host: LLM })).status, 401);
    await env.ok(env.alice, `new --name alice-fresh --address ${from}`);
    const fresh = await env.request({ from, path: '/gateway/llm/anthropic/v1/messages', body: ANTHROPIC_BODY });
    assert.equal(fresh.status, 200, fresh.text);
    await env.ok(env.alice, 'rm alice-fresh');
    env.mock.reset();
    assertRefused(await env.request({ from, path: '/gateway/llm/anthropic/v1/messages', body: ANTHROPIC_BODY }), env.mock, 401, 'anthropic', NOT_A_VM);
  });

  it('a renamed integration answers under its new name only', async () => {
    await env.ok(env.alice, 'integrations add llm --name before-name --attach vm:alice-box');
    assert.equal((await env.request({ path: '/v1/models', host: intHost('before-name') })).status, 200);
    await env.ok(env.alice, 'integrations rename before-name after-name');
    assert.equal((await env.request({ path: '/v1/models', host: intHost('before-name') })).status, 404);
    assert.equal((await env.request({ path: '/v1/models', host: intHost('after-name') })).status, 200);
  });
});
