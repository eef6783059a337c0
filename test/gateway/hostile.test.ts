// Hostile input (issue #4): oversized and malformed bodies, targets that try to climb out of the
// provider's base path or reach another host, WebSocket upgrades, and garbage on the socket.
// Every refusal happens before anything goes upstream, and the gateway stays healthy.
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, beforeEach, describe, it } from 'node:test';
import { ANTHROPIC_BODY, assertRefused, CHAT_BODY, intHost, raw, startGatewayEnv, type GatewayEnv } from '../helpers/gateway.js';

let env: GatewayEnv;
const LLM = intHost('llm');
const MAX_BODY = 4096;

before(async () => (env = await startGatewayEnv({ env: { GATEHOUSE_MAX_BODY_BYTES: String(MAX_BODY) } })));
after(() => env.stop());
beforeEach(() => env.mock.reset());

async function healthy(): Promise<void> {
  const r = await env.request({ path: '/v1/messages', host: LLM, body: ANTHROPIC_BODY });
  assert.equal(r.status, 200, `the gateway still serves: ${r.text}`);
}

describe('bodies', () => {
  it('a body over GATEHOUSE_MAX_BODY_BYTES is 413 (declared length), nothing upstream', async () => {
    const body = JSON.stringify({ ...ANTHROPIC_BODY, padding: 'x'.repeat(MAX_BODY) });
    assertRefused(await env.request({ path: '/v1/messages', host: LLM, body, headers: { 'content-type': 'application/json' } }), env.mock, 413, 'anthropic', `request body is larger than ${MAX_BODY} bytes`);
    await healthy();
  });

  it('a chunked body that grows past the limit is 413 too', async () => {
    const body = JSON.stringify({ ...CHAT_BODY, padding: 'x'.repeat(4 * MAX_BODY) });
    assertRefused(await env.request({ path: '/v1/chat/completions', host: LLM, body, headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' } }), env.mock, 413, 'openai', /larger than/);
  });

  it('a body just under the limit goes through', async () => {
    const base = JSON.stringify({ ...ANTHROPIC_BODY, padding: '' });
    const body = JSON.stringify({ ...ANTHROPIC_BODY, padding: 'x'.repeat(MAX_BODY - base.length) });
    assert.equal(Buffer.byteLength(body), MAX_BODY);
    assert.equal((await env.request({ path: '/v1/messages', host: LLM, body, headers: { 'content-type': 'application/json' } })).status, 200);
  });

  it('a 413 closes the connection so the unread upload is not parsed as a next request', async () => {
    const big = 'x'.repeat(3 * MAX_BODY);
    const head = `POST /v1/messages HTTP/1.1\r\nHost: ${LLM}\r\nContent-Type: application/json\r\nContent-Length: ${big.length}\r\n\r\n`;
    // The upload smuggles a second request that must never be answered.
    const smuggled = `GET /v1/models HTTP/1.1\r\nHost: ${LLM}\r\n\r\n`;
    const r = await raw(env.port, head + smuggled + big.slice(smuggled.length));
    assert.match(r.text, /^HTTP\/1\.1 413 /);
    assert.equal(r.text.match(/HTTP\/1\.1 /g)?.length, 1, 'one answer only');
    assert.ok(r.closed);
    assert.equal(env.mock.requests.length, 0);
  });

  for (const [what, body] of [['truncated JSON', '{"model":"claude-sonnet-5-5","messages":['], ['not JSON at all', 'model=claude'], ['JSON with a trailing comma', '{"model":"x",}']]) {
    it(`malformed JSON (${what}) is 400, nothing upstream`, async () => {
      assertRefused(await env.request({ path: '/v1/messages', host: LLM, body, headers: { 'content-type': 'application/json' } }), env.mock, 400, 'anthropic', 'request body is not valid JSON');
      assertRefused(await env.request({ path: '/v1/chat/completions', host: LLM, body, headers: { 'content-type': 'application/json' } }), env.mock, 400, 'openai', 'request body is not valid JSON');
    });
  }
});

describe('targets', () => {
  const climbs = [
    '/gateway/llm/openai/v1/../../admin',
    '/gateway/llm/openai/../anthropic/v1/messages',
    '/gateway/llm/openai/v1/%2e%2e/%2e%2e/admin',
    '/gateway/llm/openai/v1/%2E%2E/admin',
    '/gateway/llm/openai/v1/.%2e/admin',
    '/gateway/llm/openai/v1%2fchat%2fcompletions',
    '/gateway/llm/openai/v1%2Fchat/completions',
    '/gateway/llm/openai/v1/chat/completions/%5c..%5cadmin',
    '/gateway/llm/openai/./v1/chat/completions',
  ];
  for (const path of climbs) {
    it(`${path} is 400, nothing upstream`, async () => {
      // Before the target is understood, the error shape is a guess from the path's words.
      const style = path.includes('/v1/messages') ? 'anthropic' : 'openai';
      assertRefused(await env.request({ path, body: CHAT_BODY }), env.mock, 400, style, /dot segments or encoded slashes/);
    });
  }

  for (const path of ['/openai/v1/../../x', '/v1/chat/completions/%2e%2e', '/v1beta/models/%2e%2e%2fgemini-2.5-pro:generateContent', '/anthropic/v1/messages/..']) {
    it(`${path} on an llm hostname is 400, nothing upstream`, async () => {
      const r = await env.request({ path, host: LLM, body: CHAT_BODY });
      assert.equal(r.status, 400, r.text);
      assert.equal(env.mock.requests.length, 0);
    });
  }

  for (const target of ['http://evil.example/', 'http://evil.example/v1/chat/completions', 'https://evil.example:443/gateway/llm/openai/v1/models', '//evil.example/v1/models', '*']) {
    it(`the target ${target} (absolute or authority-like form) is 400, nothing upstream`, async () => {
      const body = JSON.stringify(CHAT_BODY);
      const r = await raw(env.port, `POST ${target} HTTP/1.1\r\nHost: evil.example\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`);
      assert.match(r.text, /^HTTP\/1\.1 400 /, r.text);
      assert.match(r.text, /x-gatehouse-request-id: /i);
      assert.equal(env.mock.requests.length, 0);
    });
  }

  it('an absolute-form target naming the upstream itself does not reach it', async () => {
    const r = await raw(env.port, `GET http://127.0.0.1:${env.mock.port}/openai/v1/models HTTP/1.1\r\nHost: 127.0.0.1:${env.mock.port}\r\nConnection: close\r\n\r\n`);
    assert.match(r.text, /^HTTP\/1\.1 400 /);
    assert.equal(env.mock.requests.length, 0);
  });

  it('CONNECT is not tunnelled anywhere', async () => {
    const r = await raw(env.port, `CONNECT 127.0.0.1:${env.mock.port} HTTP/1.1\r\nHost: 127.0.0.1:${env.mock.port}\r\n\r\n`);
    assert.doesNotMatch(r.text, /^HTTP\/1\.1 2/);
    assert.ok(r.closed);
    assert.equal(env.mock.requests.length, 0);
    await healthy();
  });
});

describe('connections', () => {
  // /v1/responses on an integration hostname is relayed (issue 15, test/gateway/websocket.test.ts).
  for (const path of ['/v1/messages', '/gateway/llm/openai/v1/responses']) {
    it(`a WebSocket upgrade on GET ${path} (no WebSocket there) is refused at once, with a request id`, async () => {
      const upgrade = `GET ${path} HTTP/1.1\r\nHost: ${LLM}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nauthorization: Bearer x\r\n\r\n`;
      const r = await raw(env.port, upgrade);
      assert.ok(r.closed, 'the server closes the connection');
      assert.ok(r.ms < 2000, `refused in ${Math.round(r.ms)} ms`);
      assert.match(r.text, /^HTTP\/1\.1 4\d\d /);
      assert.doesNotMatch(r.text, /101 Switching/);
      assert.match(r.text, /x-gatehouse-request-id: /i);
      const body = JSON.parse(r.text.slice(r.text.indexOf('\r\n\r\n') + 4));
      assert.match(body.error.message, /WebSocket/);
      assert.equal(env.mock.requests.length, 0);
    });
  }

  it('garbage bytes get a 400 with a request id and a closed connection; the gateway stays healthy', async () => {
    const garbage = Buffer.from(Array.from({ length: 2048 }, (_, i) => (i * 7919 + 13) % 256));
    const tlsHello = Buffer.from('\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03', 'latin1');
    for (const bytes of [garbage, tlsHello, 'GET / HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n', 'POST / HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n']) {
      const r = await raw(env.port, bytes);
      assert.ok(r.closed, 'closed');
      assert.match(r.text, /^HTTP\/1\.1 400 /);
      assert.match(r.text, /x-gatehouse-request-id: /i);
    }
    const huge = await raw(env.port, `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
    assert.match(huge.text, /^HTTP\/1\.1 431 /);
    assert.equal(env.mock.requests.length, 0);
    await healthy();
  });

  it('a client that sends half a request and leaves does not hurt the next one', async () => {
    const socket = net.connect({ host: '127.0.0.1', port: env.port, localAddress: '127.0.0.2' });
    const closed = new Promise((resolve) => socket.on('close', resolve));
    socket.on('error', () => {});
    socket.write(`POST /v1/messages HTTP/1.1\r\nHost: ${LLM}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"model":`, () => socket.destroy());
    await closed;
    await healthy();
    assert.equal(env.mock.requests.length, 1, 'only the healthy request went upstream');
  });

  it('a refusal that leaves its body unread does not let that body pose as the next request on the connection', async () => {
    const decoy = `POST /gateway/llm/anthropic/v1/messages HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${JSON.stringify(ANTHROPIC_BODY).length}\r\n\r\n${JSON.stringify(ANTHROPIC_BODY)}`;
    const real = JSON.stringify({ ...ANTHROPIC_BODY, model: 'claude-haiku-4-5' });
    const data =
      `POST /no/such/route HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${decoy.length}\r\n\r\n${decoy}` +
      `POST /gateway/llm/anthropic/v1/messages HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${real.length}\r\n\r\n${real}`;
    const r = await raw(env.port, data, { until: (text) => (text.match(/HTTP\/1\.1 /g)?.length ?? 0) >= 2 && /"type":"message"/.test(text) });
    assert.deepEqual(r.text.match(/HTTP\/1\.1 \d+/g), ['HTTP/1.1 404', 'HTTP/1.1 200']);
    assert.equal(env.mock.requests.length, 1);
    assert.equal(env.mock.requests[0].model, 'claude-haiku-4-5');
  });

  it('many concurrent requests (Claude Code’s /context burst of count_tokens) all succeed', async () => {
    const replies = await Promise.all(Array.from({ length: 25 }, () => env.request({ path: '/v1/messages/count_tokens?beta=true', host: LLM, body: ANTHROPIC_BODY })));
    assert.deepEqual(new Set(replies.map((r) => r.status)), new Set([200]));
    assert.equal(env.mock.requests.length, 25);
  });
});
