// Streaming (issue #4): chunks arrive as upstream sends them, a client that leaves aborts the
// upstream request, an upstream that dies mid-stream ends the client's stream with an error
// event, and quiet SSE streams get keep-alive comments only between events.
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { Scenario } from '../fixtures/mockProvider.js';
import { ANTHROPIC_BODY, CHAT_BODY, intHost, open, parseSse, type GatewayEnv, type Reply, startGatewayEnv } from '../helpers/gateway.js';

let env: GatewayEnv;
const LLM = intHost('llm');
const KEEPALIVE_MS = 100;

before(async () => (env = await startGatewayEnv({ env: { GATEHOUSE_SSE_KEEPALIVE_MS: String(KEEPALIVE_MS) } })));
after(() => env.stop());
beforeEach(() => env.mock.reset());

const streams = {
  'anthropic messages': { path: '/v1/messages', body: { ...ANTHROPIC_BODY, stream: true } },
  'openai chat': { path: '/v1/chat/completions', body: { ...CHAT_BODY, stream: true } },
  'openai chat with include_usage': { path: '/v1/chat/completions', body: { ...CHAT_BODY, stream: true, stream_options: { include_usage: true } } },
  'openai responses': { path: '/v1/responses', body: { model: 'gpt-5.5', input: 'hi', stream: true } },
  'fireworks chat': { path: '/v1/chat/completions', body: { ...CHAT_BODY, model: 'accounts/fireworks/models/deepseek-v3', stream: true } },
  'gemini alt=sse': { path: '/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse', body: { contents: [] } },
} as const;
type StreamName = keyof typeof streams;

function stream(name: StreamName, scenario: Scenario): Promise<Reply> {
  const s = streams[name];
  return env.request({ path: s.path, host: LLM, body: s.body, headers: { 'x-mock-scenario': JSON.stringify(scenario) } });
}

/** When the client had received `needle` (the first chunk that completes it). */
function arrival(reply: Reply, needle: string): number {
  let seen = '';
  for (const c of reply.chunks) {
    seen += c.text;
    if (seen.includes(needle)) return c.at;
  }
  assert.fail(`never received ${JSON.stringify(needle)}`);
}

/** Every ": keep-alive" comment stands alone between events: a blank line before (or the start) and after. */
function assertKeepalivesAtBoundaries(text: string): number {
  let count = 0;
  for (let i = text.indexOf(': keep-alive'); i !== -1; i = text.indexOf(': keep-alive', i + 1)) {
    count++;
    const before = text.slice(0, i);
    assert.ok(i === 0 || before.endsWith('\n\n') || before.endsWith('\r\n\r\n'), `keep-alive inside an event at ${i}: ${JSON.stringify(text.slice(Math.max(0, i - 60), i + 20))}`);
    assert.ok(/^: keep-alive\r?\n\r?\n/.test(text.slice(i)), 'a keep-alive is a whole comment block');
  }
  for (const e of parseSse(text)) if (!e.comment && e.data && e.data !== '[DONE]') JSON.parse(e.data);
  return count;
}

describe('chunks arrive as upstream sends them', () => {
  for (const name of Object.keys(streams) as StreamName[]) {
    it(`${name}: 5 deltas 60 ms apart reach the client apart`, async () => {
      const reply = await stream(name, { chunks: 5, chunkDelayMs: 60, text: 'AAAA.BBBB.CCCC.DDDD.EEEE.' });
      assert.equal(reply.status, 200, reply.text);
      assert.match(String(reply.headers['content-type']), /text\/event-stream/);
      const times = ['AAAA', 'BBBB', 'CCCC', 'DDDD', 'EEEE'].map((d) => arrival(reply, d));
      // A stall of the shared event loop may bunch two deltas; a buffered stream would bunch them all.
      assert.ok(new Set(times).size >= 3, `deltas arrived in ${new Set(times).size} reads`);
      assert.ok(times[4] - times[0] >= 150, `first delta only ${Math.round(times[4] - times[0])} ms before the last`);
      assert.ok(reply.endedAt - times[0] >= 150, 'the first delta came well before the end');
      assert.ok(reply.ended);
    });
  }
});

describe('client disconnect', () => {
  it('mid-stream aborts the upstream request', async () => {
    const { req, res } = await open(env.port, { path: '/v1/messages', host: LLM, body: { ...ANTHROPIC_BODY, stream: true }, headers: { 'x-mock-scenario': JSON.stringify({ chunks: 100, chunkDelayMs: 50 }) } });
    await new Promise<void>((resolve) => {
      let seen = '';
      res.on('data', (d: Buffer) => {
        seen += d.toString();
        if (seen.includes('content_block_delta')) resolve();
      });
    });
    req.destroy();
    await env.mock.waitFor((r) => r[0]?.aborted === true);
    assert.equal(env.mock.requests[0].completed, false);
    assert.equal((await env.request({ path: '/' })).status, 200, 'the gateway is fine');
  });

  it('before upstream answered aborts the upstream request too', async () => {
    const req = http.request({ host: '127.0.0.1', port: env.port, localAddress: '127.0.0.2', method: 'POST', path: '/v1/messages', agent: false, headers: { host: LLM, 'content-type': 'application/json', 'x-mock-scenario': JSON.stringify({ headersDelayMs: 8000 }) } });
    req.on('error', () => {});
    req.end(JSON.stringify(ANTHROPIC_BODY));
    await env.mock.waitForRequests(1);
    req.destroy();
    await env.mock.waitFor((r) => r[0].aborted === true);
  });
});

describe('upstream failure mid-stream', () => {
  it('anthropic: a reset after 2 deltas ends the client’s stream with an SSE error event', async () => {
    const reply = await stream('anthropic messages', { chunks: 10, chunkDelayMs: 30, resetAfterChunk: 2 });
    assert.equal(reply.status, 200);
    const events = parseSse(reply.text);
    // Bytes that were in flight with the RST may be lost (the kernel drops them); earlier ones arrived.
    const deltas = events.filter((e) => e.event === 'content_block_delta').length;
    assert.ok(deltas >= 1 && deltas <= 2, `${deltas} deltas before the reset`);
    const last = events.at(-1)!;
    assert.equal(last.event, 'error');
    const body = JSON.parse(last.data);
    assert.equal(body.type, 'error');
    assert.equal(typeof body.error.message, 'string');
    assert.ok(reply.ended, 'the stream is closed properly');
    assert.ok(env.mock.requests[0].reset);
  });

  for (const name of ['openai chat', 'openai responses', 'gemini alt=sse'] as const) {
    it(`${name}: a reset after 2 deltas ends the client’s stream with an error event in the provider's shape`, async () => {
      const reply = await stream(name, { chunks: 10, chunkDelayMs: 30, resetAfterChunk: 2 });
      assert.equal(reply.status, 200);
      assert.ok(reply.ended, 'the stream is closed properly');
      const events = parseSse(reply.text).filter((e) => !e.comment);
      assert.ok(events.some((e) => e.data.includes('Hello')), 'what came before the reset arrived');
      const last = JSON.parse(events.at(-1)!.data);
      assert.equal(typeof last.error?.message, 'string', `last event: ${events.at(-1)!.data}`);
      if (name === 'gemini alt=sse') assert.equal(typeof last.error.status, 'string');
    });
  }

  // Known bug, fix belongs in handler.ts: forward() gets the provider's native style, not the route's API style.
  it('a Claude model on /v1/chat/completions: the mid-stream error event is in OpenAI’s shape, the client’s API', async () => {
    const reply = await env.request({ path: '/v1/chat/completions', host: LLM, body: { ...CHAT_BODY, model: 'claude-haiku-4-5', stream: true }, headers: { 'x-mock-scenario': JSON.stringify({ chunks: 10, chunkDelayMs: 30, resetAfterChunk: 2 }) } });
    const last = parseSse(reply.text).at(-1)!;
    assert.equal(last.event, undefined, 'OpenAI chat streams have no named events');
    const body = JSON.parse(last.data);
    assert.equal(body.type, undefined);
    assert.equal(typeof body.error.message, 'string');
    assert.ok('code' in body.error);
  });

  it('a non-SSE stream (Gemini JSON array) that is reset just ends for the client', async () => {
    const reply = await env.request({ path: '/v1beta/models/gemini-2.5-flash:streamGenerateContent', host: LLM, body: { contents: [] }, headers: { 'x-mock-scenario': JSON.stringify({ chunks: 10, resetAfterChunk: 2 }) } });
    assert.equal(reply.status, 200);
    assert.equal(reply.ended, false, 'the client sees a cut-short body, not a complete one');
  });

  it('the provider’s own in-stream error event passes through untouched', async () => {
    const reply = await stream('anthropic messages', { chunks: 10, errorAfterChunk: 2 });
    const last = parseSse(reply.text).at(-1)!;
    assert.equal(last.event, 'error');
    assert.deepEqual(JSON.parse(last.data), { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } });
    assert.ok(reply.ended);
  });
});

describe('keep-alive comments', () => {
  for (const name of ['anthropic messages', 'openai responses', 'gemini alt=sse', 'openai chat'] as const) {
    it(`${name}: upstream silence longer than the keep-alive interval yields comments between events`, async () => {
      const reply = await stream(name, { chunks: 3, gapAfterChunk: 1, gapMs: 5 * KEEPALIVE_MS });
      assert.equal(reply.status, 200);
      const count = assertKeepalivesAtBoundaries(reply.text);
      assert.ok(count >= 2, `${count} keep-alive comments in a ${5 * KEEPALIVE_MS} ms silence`);
      const events = parseSse(reply.text);
      const firstComment = events.findIndex((e) => e.comment === 'keep-alive');
      assert.ok(events.slice(0, firstComment).some((e) => e.data.includes('Hello')), 'the comments came during the silence, after the first delta');
      assert.ok(events.slice(firstComment).some((e) => e.data.includes(' token1')), '… and before the next one');
    });
  }

  for (const name of ['anthropic messages', 'gemini alt=sse', 'openai chat'] as const) {
    it(`${name}: silence inside an event never gets a comment in the middle of it`, async () => {
      const reply = await stream(name, { chunks: 3, gapAfterChunk: 1, gapInsideEvent: true, gapMs: 5 * KEEPALIVE_MS });
      assert.equal(reply.status, 200);
      assertKeepalivesAtBoundaries(reply.text);
      assert.ok(reply.text.includes(' token1'), 'the split event arrived whole');
    });
  }
});
