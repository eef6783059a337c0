// Errors (issue #4): refusals before anything goes upstream (disabled provider, model scope,
// unpriced model, unconfigured key), upstream failures before the first byte (502), upstream
// error replies passed through untouched, and x-gatehouse-request-id on every answer.
import assert from 'node:assert/strict';
import net, { type AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, it } from 'node:test';
import { ANTHROPIC_BODY, assertRefused, CHAT_BODY, intHost, startGatewayEnv, UNKNOWN, type GatewayEnv, type Reply } from '../helpers/gateway.js';

let env: GatewayEnv;
const LLM = intHost('llm');

/** A port nothing listens on: a server bound it, then closed. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

before(async () => {
  env = await startGatewayEnv({ withoutKeys: ['gemini'], upstreams: { fireworks: `http://127.0.0.1:${await closedPort()}/fw` } });
  await env.ok(env.alice, 'integrations add llm --name nogpt --openai=disabled --fireworks=disabled --attach vm:alice-box');
  await env.ok(env.alice, "integrations add llm --name claude-only --models 'claude-*' --attach vm:alice-box");
  await env.ok(env.alice, 'integrations add llm --name mine --anthropic=byok --anthropic-key=- --attach vm:alice-box', 'sk-ant-alice-own');
});
after(() => env.stop());
beforeEach(() => env.mock.reset());

describe('refused before anything goes upstream', () => {
  it('a disabled provider is 403 naming it, on every route that reaches it', async () => {
    const message = /openai is disabled in integration "nogpt"; enable it over SSH: integrations edit nogpt --openai=gateway/;
    assertRefused(await env.request({ path: '/v1/chat/completions', host: intHost('nogpt'), body: CHAT_BODY }), env.mock, 403, 'openai', message);
    assertRefused(await env.request({ path: '/v1/responses', host: intHost('nogpt'), body: { model: 'gpt-5.5', input: 'x' } }), env.mock, 403, 'openai', message);
    assertRefused(await env.request({ path: '/openai/v1/chat/completions', host: intHost('nogpt'), body: CHAT_BODY }), env.mock, 403, 'openai', message);
    assertRefused(await env.request({ path: '/gateway/nogpt/openai/v1/models' }), env.mock, 403, 'openai', message);
    assertRefused(await env.request({ path: '/gateway/nogpt/fireworks/inference/v1/chat/completions', body: { ...CHAT_BODY, model: 'accounts/fireworks/models/deepseek-v3' } }), env.mock, 403, 'openai', /fireworks is disabled/);
    // The providers left on gateway still work, and the model list leaves the disabled ones out.
    assert.equal((await env.request({ path: '/v1/messages', host: intHost('nogpt'), body: ANTHROPIC_BODY })).status, 200);
    const ids: string[] = (await env.request({ path: '/v1/models', host: intHost('nogpt') })).json().data.map((m: any) => m.id);
    assert.ok(ids.includes('claude-opus-5-5') && !ids.includes('gpt-5.5') && !ids.some((id) => id.includes('fireworks')));
  });

  it('a model outside the integration’s --models scope is 403 naming the model', async () => {
    const host = intHost('claude-only');
    assertRefused(await env.request({ path: '/v1/chat/completions', host, body: CHAT_BODY }), env.mock, 403, 'openai', /model "gpt-5\.5" is not allowed by integration "claude-only" \(allowed: claude-\*\)/);
    assertRefused(await env.request({ path: '/v1beta/models/gemini-2.5-pro:generateContent', host, body: { contents: [] } }), env.mock, 403, 'gemini', /model "gemini-2\.5-pro" is not allowed/);
    assert.equal((await env.request({ path: '/v1/messages', host, body: ANTHROPIC_BODY })).status, 200);
    const ids: string[] = (await env.request({ path: '/v1/models', host })).json().data.map((m: any) => m.id);
    assert.ok(ids.length > 0 && ids.every((id) => id.startsWith('claude-') || id.startsWith('anthropic/claude-')), ids.join(','));
  });

  it('an unpriced model is refused on the gateway source, naming the model', async () => {
    assertRefused(await env.request({ path: '/v1/messages', host: LLM, body: { ...ANTHROPIC_BODY, model: 'claude-future-9' } }), env.mock, 400, 'anthropic', /model "claude-future-9" is not in this gatehouse's catalog/);
  });

  it('byok passes any model of its provider through', async () => {
    const r = await env.request({ path: '/v1/messages', host: intHost('mine'), body: { ...ANTHROPIC_BODY, model: 'claude-future-9' } });
    assert.equal(r.status, 200, r.text);
    assert.equal(env.mock.requests[0].model, 'claude-future-9');
    assert.equal(env.mock.requests[0].headers['x-api-key'], 'sk-ant-alice-own');
  });

  it('a model call that names no model is refused on the gateway source (it could not be metered)', async () => {
    assertRefused(await env.request({ path: '/v1/messages', host: LLM, body: { max_tokens: 5, messages: [] } }), env.mock, [400, 403], 'anthropic', /names no model/);
  });

  it('the gateway source without GATEHOUSE_GEMINI_API_KEY is 503 "not configured", in the caller’s shape', async () => {
    assertRefused(await env.request({ path: '/v1beta/models/gemini-2.5-pro:generateContent', host: LLM, body: { contents: [] } }), env.mock, 503, 'gemini', /the managed gemini key is not configured on this gatehouse/);
    assertRefused(await env.request({ path: '/v1/chat/completions', host: LLM, body: { ...CHAT_BODY, model: 'gemini-2.5-flash' } }), env.mock, 503, 'openai', /not configured/);
  });

  // Known bug, fix belongs in handler.ts: an unmetered API (apiOf 'other') rides on the operator's key.
  it('the managed key serves metered model APIs only: a batch with a decoy top-level model is refused', async () => {
    const body = { model: 'claude-haiku-4-5', requests: [{ custom_id: 'a', params: { model: 'claude-opus-5-5', max_tokens: 100_000, messages: [] } }] };
    assertRefused(await env.request({ path: '/v1/messages/batches', host: LLM, body }), env.mock, 403, 'anthropic', /model calls only/);
  });
});

describe('upstream failures before the first byte', () => {
  it('an upstream that refuses connections is 502 in the caller’s shape', async () => {
    const r = await env.request({ path: '/v1/chat/completions', host: LLM, body: { ...CHAT_BODY, model: 'accounts/fireworks/models/deepseek-v3' } });
    assertRefused(r, env.mock, 502, 'openai', 'the upstream provider could not be reached');
  });

  it('an upstream that resets the connection before answering is 502 in the caller’s shape', async () => {
    env.mock.setHandler((ctx) => {
      ctx.record.reset = true;
      ctx.res.socket?.resetAndDestroy();
      return true;
    });
    for (const [path, body, style] of [['/v1/messages?beta=true', { ...ANTHROPIC_BODY, stream: true }, 'anthropic'], ['/v1/responses', { model: 'gpt-5.5', input: 'x', stream: true }, 'openai']] as const) {
      const r = await env.request({ path, host: LLM, body });
      assert.equal(r.status, 502, r.text);
      assert.match(r.json().error.message, /could not be reached/);
      assert.equal(style === 'anthropic' ? r.json().type : typeof r.json().error.code, style === 'anthropic' ? 'error' : 'string');
    }
  });

  it('an upstream that never answers is 504 after GATEHOUSE_UPSTREAM_TIMEOUT_MS, in the caller’s error shape', async () => {
    const slow = await startGatewayEnv({ env: { GATEHOUSE_UPSTREAM_TIMEOUT_MS: '300' } });
    try {
      const r = await slow.request({ path: '/v1/messages', host: LLM, body: ANTHROPIC_BODY, headers: { 'x-mock-scenario': '{"hang":true}' } });
      assert.equal(r.status, 504, r.text);
      assert.equal(r.json().type, 'error');
      assert.match(r.json().error.message, /did not answer in time/);
      assert.ok(r.headers['x-gatehouse-request-id']);
    } finally {
      await slow.stop();
    }
  });
});

describe('upstream error replies pass through untouched', () => {
  const cases = [
    { what: 'OpenAI 429 with rate-limit headers', path: '/v1/chat/completions', body: CHAT_BODY, error: { status: 429, body: { error: { message: 'Rate limit reached for gpt-5.5', type: 'requests', param: null, code: 'rate_limit_exceeded' } }, headers: { 'retry-after': '7', 'x-ratelimit-remaining-requests': '0', 'x-ratelimit-reset-requests': '6.5s' } } },
    { what: 'Anthropic 529 overloaded on a streaming request', path: '/v1/messages', body: { ...ANTHROPIC_BODY, stream: true }, error: { status: 529, body: { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' }, request_id: 'req_1' }, headers: { 'retry-after': '3' } } },
    { what: 'a non-JSON 500 body', path: '/v1/responses', body: { model: 'gpt-5.5', input: 'x' }, error: { status: 500, body: 'upstream exploded\n', headers: { 'x-upstream-note': 'kept' } } },
    { what: 'an upstream 401 (a bad byok key)', path: '/v1/messages', host: intHost('mine'), body: ANTHROPIC_BODY, error: { status: 401, body: { type: 'error', error: { type: 'authentication_error', message: 'invalid x-api-key' } } } },
  ];
  for (const c of cases) {
    it(c.what, async () => {
      const r = await env.request({ path: c.path, host: c.host ?? LLM, body: c.body, headers: { 'x-mock-scenario': JSON.stringify({ error: c.error }) } });
      assert.equal(r.status, c.error.status);
      assert.equal(r.text, typeof c.error.body === 'string' ? c.error.body : JSON.stringify(c.error.body));
      for (const [name, value] of Object.entries(c.error.headers ?? {})) assert.equal(r.headers[name], value, name);
      assert.ok(r.headers['x-gatehouse-request-id']);
    });
  }
});

describe('x-gatehouse-request-id', () => {
  it('is on every answer (200, 401, 403, 404, 400, 502, 503, upstream 4xx) and unique', async () => {
    const replies: Reply[] = [
      await env.request({ path: '/' }),
      await env.request({ path: '/v1/messages', host: LLM, body: ANTHROPIC_BODY }),
      await env.request({ from: UNKNOWN, path: '/v1/models', host: LLM }),
      await env.request({ path: '/v1/chat/completions', host: intHost('nogpt'), body: CHAT_BODY }),
      await env.request({ path: '/no/such/route' }),
      await env.request({ path: '/v1/models', host: intHost('nosuch') }),
      await env.request({ path: '/v1/messages', host: LLM, body: '{not json', headers: { 'content-type': 'application/json' } }),
      await env.request({ path: '/v1/chat/completions', host: LLM, body: { ...CHAT_BODY, model: 'accounts/fireworks/models/deepseek-v3' } }),
      await env.request({ path: '/v1beta/models/gemini-2.5-pro:countTokens', host: LLM, body: { contents: [] } }),
      await env.request({ path: '/v1/messages', host: LLM, body: ANTHROPIC_BODY, headers: { 'x-mock-scenario': '{"error":{"status":404,"body":"nope"}}' } }),
    ];
    assert.deepEqual(replies.map((r) => r.status), [200, 200, 401, 403, 404, 404, 400, 502, 503, 404]);
    const ids = replies.map((r) => String(r.headers['x-gatehouse-request-id'] ?? ''));
    for (const id of ids) assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    assert.equal(new Set(ids).size, ids.length);
  });
});
