// Issue 11, the gateway's error behaviour: an integration of the wrong type on every route and
// command (11.3), WebSocket upgrades answered 426 (11.7), and every refusal, raw socket answers
// included, rendered once, in the one shape chosen for the request (11, "one error boundary").
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, beforeEach, describe, it } from 'node:test';
import { ANTHROPIC_BODY, assertRefused, CHAT_BODY, errorOf, intHost, raw, startGatewayEnv, UNKNOWN, type GatewayEnv } from '../helpers/gateway.js';

let env: GatewayEnv;
let apiKey: string;
const REFLECTION = intHost('reflection');
const WRONG_TYPE = /^integration "reflection" is a reflection integration \(it answers GET \/ on its hostname, to VMs\); LLM calls go to an llm integration, such as /;

before(async () => {
  env = await startGatewayEnv();
  apiKey = JSON.parse(await env.ok(env.alice, 'keys create --name everything --json')).key;
});
after(() => env.stop());
beforeEach(() => env.mock.reset());

describe('issue 11.3: an integration of the wrong type is a clear 4xx, never a 500', () => {
  it('a reflection integration on the metadata path is 404 in the caller’s shape, for VMs and API keys', async () => {
    const cases = [
      { path: '/gateway/reflection/anthropic/v1/messages', body: ANTHROPIC_BODY, style: 'anthropic', example: '/gateway/llm/anthropic/…' },
      { path: '/gateway/reflection/anthropic/v1/messages/count_tokens?beta=true', body: ANTHROPIC_BODY, style: 'anthropic', example: '/gateway/llm/anthropic/…' },
      { path: '/gateway/reflection/openai/v1/chat/completions', body: CHAT_BODY, style: 'openai', example: '/gateway/llm/openai/…' },
      { path: '/gateway/reflection/openai/v1/models', style: 'openai', example: '/gateway/llm/openai/…' },
      { path: '/gateway/reflection/gemini/v1beta/models/gemini-2.5-pro:generateContent', body: { contents: [] }, style: 'gemini', example: '/gateway/llm/gemini/…' },
      { path: '/gateway/reflection/fireworks/inference/v1/chat/completions', body: CHAT_BODY, style: 'openai', example: '/gateway/llm/fireworks/…' },
    ] as const;
    for (const c of cases) {
      const message = new RegExp(WRONG_TYPE.source + c.example.replace(/[/.…]/g, '\\$&'));
      assertRefused(await env.request({ path: c.path, body: 'body' in c ? c.body : undefined }), env.mock, 404, c.style, message);
      const byKey = await env.request({ from: UNKNOWN, path: c.path, body: 'body' in c ? c.body : undefined, headers: { authorization: `Bearer ${apiKey}` } });
      assertRefused(byKey, env.mock, 404, c.style, message);
    }
  });

  it('an LLM path on a reflection hostname is 404 naming the llm hostname; its own paths still answer', async () => {
    const llmHost = /such as http:\/\/llm\.int\.gatehouse\.localhost\/v1\/…$/;
    assertRefused(await env.request({ host: REFLECTION, path: '/v1/messages?beta=true', body: ANTHROPIC_BODY }), env.mock, 404, 'anthropic', llmHost);
    assertRefused(await env.request({ host: REFLECTION, path: '/v1/chat/completions', body: CHAT_BODY }), env.mock, 404, 'openai', llmHost);
    assertRefused(await env.request({ host: REFLECTION, path: '/v1/responses', body: { model: 'gpt-5.5', input: 'x' } }), env.mock, 404, 'openai', llmHost);
    assertRefused(await env.request({ host: REFLECTION, path: '/v1/models' }), env.mock, 404, 'openai', WRONG_TYPE);
    assertRefused(await env.request({ host: REFLECTION, path: '/v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=sse', body: { contents: [] } }), env.mock, 404, 'gemini', WRONG_TYPE);
    assertRefused(await env.request({ host: REFLECTION, path: '/anthropic/v1/messages', body: ANTHROPIC_BODY }), env.mock, 404, 'anthropic', WRONG_TYPE);
    assert.deepEqual((await env.request({ host: REFLECTION, path: '/' })).json().fields, ['/email', '/tags', '/comment', '/integrations']);
    assert.equal((await env.request({ host: REFLECTION, path: '/tags' })).json().tags[0], 'dev');
    assertRefused(await env.request({ host: REFLECTION, path: '/email', body: { x: 1 } }), env.mock, 400, 'openai', 'reflection answers GET only');
  });

  it('a reflection path on an llm hostname is 404 with a hint; a team hostname, to a caller in no team, 403', async () => {
    assertRefused(await env.request({ host: intHost('llm'), path: '/email' }), env.mock, 404, 'openai', 'no route for GET /email on integration "llm"; try GET /v1/models');
    assertRefused(await env.request({ host: 'llm.team.gatehouse.localhost', path: '/v1/messages', body: ANTHROPIC_BODY }), env.mock, 403, 'anthropic', /^you are not in a team: llm\.team serves a team's integration to its members only/);
  });

  it('an API key on a reflection hostname is 403: reflection answers VMs only', async () => {
    const r = await env.request({ from: UNKNOWN, host: REFLECTION, path: '/email', headers: { authorization: `Bearer ${apiKey}` } });
    assertRefused(r, env.mock, 403, 'openai', /reflection answers VMs only/);
  });

  it('commands: llm flags on a reflection integration, reflection flags on an llm one, test, keys', async () => {
    const fails = async (command: string, code: number, message: RegExp) => {
      const r = await env.sh(env.alice, command);
      assert.equal(r.code, code, `${command}: ${r.stderr}`);
      assert.equal(r.stdout, '');
      assert.match(r.stderr, message);
      assert.doesNotMatch(r.stderr, /internal error|\n\s+at /);
    };
    await fails('integrations edit reflection --anthropic=byok', 2, /^error: --anthropic is for llm integrations\n$/);
    await fails('integrations edit reflection --openai-key=sk-x', 2, /^error: --openai-key is for llm integrations\n$/);
    await fails("integrations edit reflection --models 'claude-*'", 2, /^error: --models is for llm integrations\n$/);
    await fails('integrations edit llm --fields email', 2, /^error: --fields is for reflection integrations\n$/);
    await fails('integrations test reflection', 1, /^error: integration "reflection" is a reflection integration; only llm integrations have keys to test\n$/);
    await fails('keys create --name about --integration reflection', 1, /^error: an API key calls llm integrations only: "reflection" is a reflection integration, which answers VMs only\n/);
    const mixed = await env.sh(env.alice, 'keys create --name mixed --integration llm --integration reflection --json');
    assert.equal(mixed.code, 0, mixed.stderr);
    assert.match(mixed.stderr, /^warning: "reflection" is a reflection integration, which answers VMs only: this key cannot use it\n/m);
    assert.deepEqual(JSON.parse(mixed.stdout).integrations, ['llm', 'reflection']);
    const names = JSON.parse(await env.ok(env.alice, 'keys list --json')).map((k: { name: string }) => k.name);
    assert.ok(!names.includes('about'), 'the refused key was not created');
    // Nothing was changed by the refused edits.
    assert.match(await env.ok(env.alice, 'integrations list'), /^reflection {2}reflection {2}fields=all/m);
  });
});

const WS_HEADERS = 'Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n';

// Issue 15 relays the OpenAI Responses paths (test/gateway/websocket.test.ts); every other path still answers 426.
describe('issue 11.7: a WebSocket upgrade is answered 426 Upgrade Required, on every path but the Responses API', () => {
  const targets: [string, string][] = [
    ['/v1/chat/completions', intHost('llm')],
    ['/gateway/llm/anthropic/v1/messages', 'localhost'],
    ['/v1/messages', intHost('llm')],
    ['/', 'localhost'],
    ['/no/such/route', intHost('nosuch')],
    ['/email', REFLECTION],
  ];
  for (const [path, host] of targets) {
    it(`GET ${path} on ${host} (raw socket): 426 with an OpenAI-shaped body, a request id, then the close`, async () => {
      const r = await raw(env.port, `GET ${path} HTTP/1.1\r\nHost: ${host}\r\n${WS_HEADERS}\r\n`);
      assert.ok(r.closed, 'closed');
      assert.match(r.text, /^HTTP\/1\.1 426 Upgrade Required\r\n/);
      assert.match(r.text, /\r\nx-gatehouse-request-id: [0-9a-f-]{36}\r\n/i);
      assert.match(r.text, /\r\ncontent-type: application\/json\r\n/i);
      const body = JSON.parse(r.text.slice(r.text.indexOf('\r\n\r\n') + 4));
      assert.match(errorOf('openai', body).message, /^WebSocket is served only on the OpenAI Responses API/);
      assert.equal(body.error.code, 'upgrade_required');
      assert.equal(env.mock.requests.length, 0);
    });
  }

  it('a real client’s upgrade request (node:http, as Codex sends it, with its headers) on a path with no WebSocket reads the 426 and its body', async () => {
    const reply = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port: env.port, localAddress: '127.0.0.2', path: '/fireworks/inference/v1/responses', agent: false, headers: { host: intHost('llm'), connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-version': '13', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==', originator: 'codex_cli_rs', authorization: 'Bearer x' } });
      req.on('upgrade', () => reject(new Error('the gateway must not switch protocols')));
      req.on('response', (res) => {
        let body = '';
        res.on('data', (d) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      req.end();
    });
    assert.equal(reply.status, 426);
    assert.equal(JSON.parse(reply.body).error.code, 'upgrade_required');
    // The client then falls back to HTTP on the same path: that works.
    assert.equal((await env.request({ host: intHost('llm'), path: '/fireworks/inference/v1/responses', body: { model: 'accounts/fireworks/models/deepseek-v3', input: 'hi' } })).status, 200);
  });
});

describe('issue 11: one error boundary, one shape per request', () => {
  it('the shape follows the path’s API even before the caller is known (401), whoever would serve it', async () => {
    const cases = [
      ['/v1/messages?beta=true', 'anthropic'],
      ['/gateway/llm/anthropic/v1/messages', 'anthropic'],
      ['/gateway/llm/anthropic/v1/chat/completions', 'openai'],
      ['/gateway/llm/gemini/v1beta/openai/chat/completions', 'openai'],
      ['/gateway/llm/gemini/v1beta/models', 'gemini'],
      ['/v1/models/gemini-2.5-pro:countTokens', 'gemini'],
      ['/v1/responses', 'openai'],
    ] as const;
    for (const [path, style] of cases) {
      const host = path.startsWith('/gateway/') ? 'localhost' : intHost('llm');
      assertRefused(await env.request({ from: UNKNOWN, host, path, body: { model: 'x' } }), env.mock, 401, style, /is not a registered VM/);
    }
  });

  it('raw socket answers (431, 400 malformed) carry the error body of the one renderer', async () => {
    const huge = await raw(env.port, `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
    assert.match(huge.text, /^HTTP\/1\.1 431 Request Header Fields Too Large\r\n/);
    assert.equal(errorOf('openai', JSON.parse(huge.text.slice(huge.text.indexOf('\r\n\r\n') + 4))).message, 'request headers are too large');
    const bad = await raw(env.port, 'GET / HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n');
    assert.match(bad.text, /^HTTP\/1\.1 400 Bad Request\r\n/);
    const body = JSON.parse(bad.text.slice(bad.text.indexOf('\r\n\r\n') + 4));
    assert.deepEqual(body, { error: { message: 'malformed HTTP request', type: 'invalid_request_error', param: null, code: 'invalid_input' } });
  });
});
