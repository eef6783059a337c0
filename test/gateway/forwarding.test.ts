// Forwarding (issue #4): the VM's credentials never reach upstream and the integration's do;
// end-to-end headers and unknown body fields pass untouched; hop-by-hop headers do not; base
// paths and queries are kept; the owner's own key (byok) is the one injected.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { ANTHROPIC_BODY, BASE_PATH, CHAT_BODY, intHost, OPERATOR_KEYS, startGatewayEnv, type GatewayEnv } from '../helpers/gateway.js';

let env: GatewayEnv;
const LLM = intHost('llm');
const USER_KEY = 'sk-ant-alice-own-key-9f8e7d';
const VM_SECRET = 'vm-secret-do-not-forward';

before(async () => {
  env = await startGatewayEnv();
  const out = await env.ok(env.alice, 'integrations add llm --name mine --anthropic=byok --anthropic-key=- --attach vm:alice-box', USER_KEY);
  assert.ok(!out.includes(USER_KEY), 'the key is never shown');
});
after(() => env.stop());
beforeEach(() => env.mock.reset());

/** Everything the mock recorded about the one request it saw, as text, to search for leaks. */
function only() {
  assert.equal(env.mock.requests.length, 1, `one upstream request, got ${env.mock.requests.length}`);
  return env.mock.requests[0];
}

describe('credentials', () => {
  const vmCredentials = { authorization: `Bearer ${VM_SECRET}`, 'x-api-key': VM_SECRET, 'x-goog-api-key': VM_SECRET, cookie: `session=${VM_SECRET}`, 'proxy-authorization': `Basic ${VM_SECRET}` };
  const cases = [
    { provider: 'anthropic', path: '/v1/messages', body: ANTHROPIC_BODY, expect: { 'x-api-key': OPERATOR_KEYS.anthropic } },
    { provider: 'openai', path: '/v1/chat/completions', body: CHAT_BODY, expect: { authorization: `Bearer ${OPERATOR_KEYS.openai}` } },
    { provider: 'fireworks', path: '/inference/v1/chat/completions', body: { ...CHAT_BODY, model: 'accounts/fireworks/models/deepseek-v3' }, expect: { authorization: `Bearer ${OPERATOR_KEYS.fireworks}` } },
    { provider: 'gemini', path: '/v1beta/models/gemini-2.5-pro:generateContent', body: { contents: [] }, expect: { 'x-goog-api-key': OPERATOR_KEYS.gemini } },
  ] as const;
  for (const c of cases) {
    it(`${c.provider}: the VM's authorization, x-api-key, x-goog-api-key, cookie and ?key= are dropped; the operator key is injected`, async () => {
      const r = await env.request({ path: `/gateway/llm/${c.provider}${c.path}?key=${VM_SECRET}&keep=1`, body: c.body, headers: vmCredentials });
      assert.equal(r.status, 200, r.text);
      const rec = only();
      for (const name of ['authorization', 'x-api-key', 'x-goog-api-key', 'cookie', 'proxy-authorization']) {
        const expected = (c.expect as Record<string, string>)[name];
        assert.equal(rec.headers[name], expected, `${name} upstream`);
      }
      assert.equal(rec.query.key, undefined);
      assert.equal(rec.query.keep, '1', 'the rest of the query goes through');
      assert.ok(!JSON.stringify(rec).includes(VM_SECRET), 'no trace of the VM’s credentials upstream');
    });
  }

  it('byok: the owner’s own key reaches upstream, never the operator’s', async () => {
    const r = await env.request({ path: '/v1/messages', host: intHost('mine'), body: ANTHROPIC_BODY, headers: { 'x-api-key': VM_SECRET } });
    assert.equal(r.status, 200, r.text);
    const rec = only();
    assert.equal(rec.headers['x-api-key'], USER_KEY);
    assert.ok(!JSON.stringify(rec).includes(OPERATOR_KEYS.anthropic));
  });

  it('byok: the other providers of the same integration stay on the operator’s key', async () => {
    assert.equal((await env.request({ path: '/gateway/mine/openai/v1/chat/completions', body: CHAT_BODY })).status, 200);
    assert.equal(only().headers.authorization, `Bearer ${OPERATOR_KEYS.openai}`);
  });

  it('an edited byok key is used from the next request on', async () => {
    await env.ok(env.alice, 'integrations add llm --name rotating --anthropic=byok --anthropic-key=- --attach vm:alice-box', 'sk-ant-first');
    assert.equal((await env.request({ path: '/gateway/rotating/anthropic/v1/messages', body: ANTHROPIC_BODY })).status, 200);
    assert.equal(only().headers['x-api-key'], 'sk-ant-first');
    env.mock.reset();
    await env.ok(env.alice, 'integrations edit rotating --anthropic-key=-', 'sk-ant-second');
    assert.equal((await env.request({ path: '/gateway/rotating/anthropic/v1/messages', body: ANTHROPIC_BODY })).status, 200);
    assert.equal(only().headers['x-api-key'], 'sk-ant-second');
  });
});

describe('headers', () => {
  it('anthropic-version is defaulted to 2023-06-01 when absent and kept when sent', async () => {
    await env.request({ path: '/v1/messages', host: LLM, body: ANTHROPIC_BODY });
    assert.equal(only().headers['anthropic-version'], '2023-06-01');
    env.mock.reset();
    await env.request({ path: '/v1/messages', host: LLM, body: ANTHROPIC_BODY, headers: { 'anthropic-version': '2026-01-15' } });
    assert.equal(only().headers['anthropic-version'], '2026-01-15');
  });

  it('a long anthropic-beta list and Claude Code’s headers arrive intact', async () => {
    const beta = 'claude-code-20250219,interleaved-thinking-2025-05-14,context-management-2025-06-27,fine-grained-tool-streaming-2025-05-14,oauth-2025-04-20,context-1m-2025-08-07,effort-2025-11-24,some-future-beta-2027-01-01';
    const headers = { 'anthropic-beta': beta, 'anthropic-version': '2023-06-01', 'x-claude-code-session-id': '4f0c7a2e-session', 'x-app': 'cli', 'user-agent': 'claude-cli/3.1.4 (external, cli)', 'anthropic-dangerous-direct-browser-access': 'true' };
    const r = await env.request({ path: '/v1/messages?beta=true', host: LLM, body: ANTHROPIC_BODY, headers });
    assert.equal(r.status, 200);
    const rec = only();
    for (const [name, value] of Object.entries(headers)) assert.equal(rec.headers[name], value, name);
    assert.equal(rec.url, `${BASE_PATH}/v1/messages?beta=true`);
  });

  it('OpenAI SDK and Codex headers arrive intact (openai-beta, x-stainless-*, originator, session ids, x-codex-*)', async () => {
    const headers = {
      'openai-beta': 'responses=experimental', 'x-stainless-lang': 'js', 'x-stainless-package-version': '6.49.0', 'x-stainless-os': 'Linux', 'x-stainless-arch': 'x64',
      'x-stainless-runtime': 'node', 'x-stainless-retry-count': '0', 'x-stainless-timeout': '600', 'user-agent': 'OpenAI/JS 6.49.0',
      originator: 'codex_cli_rs', 'session-id': 'sess-1', 'thread-id': 'thread-1', 'x-client-request-id': 'req-1', 'x-codex-turn-metadata': '{"turn":1}',
      accept: 'text/event-stream', 'openai-organization': 'org-x', 'idempotency-key': 'stainless-node-retry-abc',
    };
    const r = await env.request({ path: '/v1/responses', host: LLM, body: { model: 'gpt-5.5', input: 'hi' }, headers });
    assert.equal(r.status, 200);
    const rec = only();
    for (const [name, value] of Object.entries(headers)) assert.equal(rec.headers[name], value, name);
  });

  it('hop-by-hop headers, and headers named by Connection, do not go upstream', async () => {
    const r = await env.request({
      path: '/gateway/llm/openai/v1/chat/completions', body: CHAT_BODY,
      headers: { connection: 'keep-alive, x-hop-private', 'keep-alive': 'timeout=5', 'x-hop-private': 'hop', te: 'trailers', trailer: 'x-checksum', 'proxy-connection': 'keep-alive', 'x-end-to-end': 'yes', 'x-forwarded-for': '10.9.9.9', 'x-forwarded-host': 'evil.example' },
    });
    assert.equal(r.status, 200);
    const rec = only();
    for (const name of ['keep-alive', 'x-hop-private', 'te', 'trailer', 'proxy-connection', 'x-forwarded-for', 'x-forwarded-host']) assert.equal(rec.headers[name], undefined, name);
    assert.notEqual(rec.headers.host, LLM);
    assert.equal(rec.headers['x-end-to-end'], 'yes');
  });

  it('the upstream is asked for an uncompressed answer whatever the client accepts', async () => {
    await env.request({ path: '/v1/messages', host: LLM, body: ANTHROPIC_BODY, headers: { 'accept-encoding': 'gzip, br, zstd' } });
    assert.equal(only().headers['accept-encoding'], 'identity');
  });

  it('issue #4: an upstream cannot replace x-gatehouse-request-id, and headers it names in Connection stay behind', async () => {
    const error = { status: 429, body: 'slow down', headers: { 'x-gatehouse-request-id': 'spoofed', connection: 'x-upstream-hop', 'x-upstream-hop': 'internal', 'retry-after': '1' } };
    const r = await env.request({ path: '/v1/chat/completions', host: LLM, body: CHAT_BODY, headers: { 'x-mock-scenario': JSON.stringify({ error }) } });
    assert.equal(r.status, 429);
    assert.match(String(r.headers['x-gatehouse-request-id']), /^[0-9a-f-]{36}$/);
    assert.equal(r.headers['x-upstream-hop'], undefined);
    assert.equal(r.headers['retry-after'], '1');
  });

  it('upstream response headers reach the client, plus x-gatehouse-request-id', async () => {
    const r = await env.request({ path: '/v1/messages', host: LLM, body: ANTHROPIC_BODY });
    assert.equal(r.status, 200);
    assert.match(String(r.headers['request-id']), /^req_011C/);
    assert.equal(r.headers['x-mock-provider'], 'anthropic');
    assert.match(String(r.headers['x-gatehouse-request-id']), /^[0-9a-f-]{36}$/);
  });
});

describe('bodies', () => {
  // Hand-written JSON: odd spacing, key order, escapes and big numbers change if anything re-serialises it.
  const cases = [
    {
      what: 'Claude Code’s /v1/messages (thinking, context_management, output_config, a system role in messages)',
      path: '/v1/messages?beta=true',
      raw: '{ "model":"claude-opus-5-5",\n  "max_tokens": 32000, "stream":false,\n "thinking": {"type":"enabled","budget_tokens":31999},\n "context_management":{"edits":[{"type":"clear_thinking_20251015","keep":"all"}]},\n "output_config":{"effort":"high"}, "metadata":{"user_id":"user_abc_account__session_x"},\n "messages":[{"role":"system","content":"caf\\u00e9"},{"role":"user","content":[{"type":"text","text":"héllo \\"q\\"","cache_control":{"type":"ephemeral"}}]}], "temperature":1.0, "big": 12345678901234567890 }',
    },
    {
      what: 'Codex’s /v1/responses (store:false, include, prompt_cache_key, client_metadata, custom tools)',
      path: '/v1/responses',
      raw: '{"model":"gpt-5.5","instructions":"be brief","input":[{"type":"message","role":"user","content":[{"type":"input_text","text":"hi"}]}],"tools":[{"type":"custom","name":"apply_patch","format":{"type":"grammar","syntax":"lark","definition":"start: x"}}],"tool_choice":"auto","parallel_tool_calls":false,"reasoning":{"effort":"medium","summary":"auto"},"store":false,"stream":false,"include":["reasoning.encrypted_content"],"prompt_cache_key":"019a-cache-key","client_metadata":{"x":"y"},  "text":{"verbosity":"low"}}',
    },
    {
      what: 'a chat completion with unknown fields',
      path: '/v1/chat/completions',
      raw: '{"model":"gpt-5.5","messages":[{"role":"developer","content":"x"},{"role":"user","content":"hi"}],"prompt_cache_key":"k1","store":false,"reasoning_effort":"low","verbosity":"low","safety_identifier":"u1","stream_options":null ,"n":1}',
    },
    {
      what: 'a streamed chat completion that already asks for usage',
      path: '/v1/chat/completions',
      raw: '{"model":"gpt-5.5","stream":true,"stream_options":{"include_usage":true},  "messages":[{"role":"user","content":"hi"}]}',
    },
    {
      what: 'a Gemini generateContent body',
      path: '/v1beta/models/gemini-2.5-pro:generateContent',
      raw: '{"contents":[{"role":"user","parts":[{"text":"hi"}]}],"generationConfig":{"thinkingConfig":{"thinkingBudget":-1,"includeThoughts":true}},"cachedContent":"cachedContents/abc"}',
    },
  ];
  for (const c of cases) {
    it(`${c.what} arrives byte-identical`, async () => {
      const r = await env.request({ path: c.path, host: LLM, body: c.raw, headers: { 'content-type': 'application/json' } });
      assert.equal(r.status, 200, r.text);
      assert.equal(only().rawBody, c.raw);
    });
  }

  it('a provider-prefixed model is rewritten to the bare id, and nothing else changes', async () => {
    const sent = { model: 'anthropic/claude-sonnet-5-5', max_tokens: 10, thinking: { type: 'enabled', budget_tokens: 1024 }, messages: [{ role: 'user', content: 'hi' }], context_management: { edits: [] } };
    assert.equal((await env.request({ path: '/v1/messages', host: LLM, body: sent })).status, 200);
    assert.deepEqual(only().json, { ...sent, model: 'claude-sonnet-5-5' });
  });

  it('a body sent in chunks without Content-Length arrives whole', async () => {
    const raw = JSON.stringify({ ...ANTHROPIC_BODY, padding: 'x'.repeat(100_000) });
    const r = await env.request({ path: '/v1/messages', host: LLM, body: raw, headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' } });
    assert.equal(r.status, 200, r.text);
    assert.equal(only().rawBody, raw);
  });
});
