// Issue 11.6: an upstream that fails mid-stream, even in the middle of an event, leaves the client
// a stream that ends at an event boundary with the provider's own error event, then the close;
// the usage seen so far is metered. The same ending for the streams a shutdown ends (endStreams).
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, it } from 'node:test';
import { consoleLog } from '../../src/log.js';
import { sendError } from '../../src/gateway/errors.js';
import { Forwarder } from '../../src/gateway/forward.js';
import { startMockProvider, type MockProvider } from '../fixtures/mockProvider.js';
import { ANTHROPIC_BODY, collect, intHost, open, parseSse, startGatewayEnv, type GatewayEnv } from '../helpers/gateway.js';
import { usageRows } from '../metering/helpers.js';

let env: GatewayEnv;
const LLM = intHost('llm');

before(async () => (env = await startGatewayEnv()));
after(() => env.stop());
beforeEach(() => env.mock.reset());

const msg = (o: unknown) => JSON.stringify(o);
const cases = {
  anthropic: {
    path: '/v1/messages?beta=true',
    body: { ...ANTHROPIC_BODY, stream: true },
    whole:
      `event: message_start\ndata: ${msg({ type: 'message_start', message: { id: 'msg_1', type: 'message', role: 'assistant', model: 'claude-sonnet-5-5', content: [], usage: { input_tokens: 25, output_tokens: 1 } } })}\n\n` +
      `event: content_block_delta\ndata: ${msg({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Hello' } })}\n\n`,
    partial: 'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"PARTIAL',
  },
  'openai chat': {
    path: '/v1/chat/completions',
    body: { model: 'gpt-5.5', messages: [{ role: 'user', content: 'hi' }], stream: true, stream_options: { include_usage: true } },
    whole: `data: ${msg({ id: 'c1', object: 'chat.completion.chunk', model: 'gpt-5.5', choices: [{ index: 0, delta: { content: 'Hello' } }] })}\n\n`,
    partial: 'data: {"id":"c1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"PARTIAL',
  },
  'openai responses': {
    path: '/v1/responses',
    body: { model: 'gpt-5.5', input: 'hi', stream: true },
    whole:
      `event: response.created\ndata: ${msg({ type: 'response.created', sequence_number: 0, response: { id: 'resp_1', model: 'gpt-5.5', status: 'in_progress', usage: null } })}\n\n` +
      `event: response.output_text.delta\ndata: ${msg({ type: 'response.output_text.delta', sequence_number: 1, delta: 'Hello' })}\n\n`,
    partial: 'event: response.output_text.delta\ndata: {"type":"response.output_text.delta","sequence_number":2,"delta":"PARTIAL',
  },
  'gemini alt=sse': {
    path: '/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse',
    body: { contents: [] },
    whole: `data: ${msg({ candidates: [{ content: { parts: [{ text: 'Hello' }], role: 'model' } }], usageMetadata: { promptTokenCount: 11 }, modelVersion: 'gemini-2.5-flash' })}\r\n\r\n`,
    partial: 'data: {"candidates":[{"content":{"parts":[{"text":"PARTIAL',
  },
} as const;

/**
 * The mock answers with whole events and the start of the next one in one write, then resets the
 * connection once `cut` is called (after the client saw the whole events: nothing in flight is lost).
 */
function failingUpstream(mock: MockProvider, bytes: string): { cut: () => void } {
  let cut = () => {};
  const cutNow = new Promise<void>((resolve) => (cut = resolve));
  mock.setHandler(async (ctx) => {
    ctx.res.writeHead(200, { 'content-type': 'text/event-stream' });
    ctx.res.write(bytes);
    await cutNow;
    ctx.record.reset = true;
    ctx.res.socket?.resetAndDestroy();
    return true;
  });
  return { cut };
}

async function streamUntil(path: string, body: object, seen: string, host = LLM): Promise<{ reply: Promise<Awaited<ReturnType<typeof collect>>> }> {
  const { req, res } = await open(env.port, { path, host, body });
  const reply = collect(res, req);
  await new Promise<void>((resolve) => {
    let text = '';
    res.on('data', (d: Buffer) => {
      text += d.toString();
      if (text.includes(seen)) resolve();
    });
  });
  return { reply };
}

describe('issue 11.6: an upstream reset inside an event ends the client’s stream at a boundary with the provider’s error event', () => {
  for (const [name, c] of Object.entries(cases)) {
    it(name, async () => {
      const upstream = failingUpstream(env.mock, c.whole + c.partial);
      const { reply: replied } = await streamUntil(c.path, c.body, 'Hello');
      upstream.cut();
      const reply = await replied;
      assert.equal(reply.status, 200);
      assert.ok(reply.ended, 'the stream ends properly, not with a reset');
      assert.ok(!reply.text.includes('PARTIAL'), 'the incomplete event never reaches the client');
      assert.ok(reply.text.startsWith(c.whole), 'the whole events arrive untouched');
      const rest = reply.text.slice(c.whole.length);
      assert.match(rest, /^(event: error\n)?data: \{.*\}\n\n$/, `one error event, at a boundary: ${JSON.stringify(rest)}`);
      const last = parseSse(reply.text).at(-1)!;
      const data = JSON.parse(last.data);
      if (name === 'anthropic') {
        assert.equal(last.event, 'error');
        assert.deepEqual(data, { type: 'error', error: { type: 'api_error', message: 'the upstream connection was lost mid-stream' } });
      } else if (name === 'openai chat') {
        assert.equal(last.event, undefined);
        assert.deepEqual(data, { error: { message: 'the upstream connection was lost mid-stream', type: 'server_error', param: null, code: 'upstream_unreachable' } });
      } else if (name === 'openai responses') {
        // The documented ResponseErrorEvent fields at the top, and the nested error OpenAI sends.
        assert.equal(last.event, 'error');
        assert.deepEqual(data, {
          type: 'error',
          code: 'upstream_unreachable',
          message: 'the upstream connection was lost mid-stream',
          param: null,
          sequence_number: 2,
          error: { type: 'server_error', code: 'upstream_unreachable', message: 'the upstream connection was lost mid-stream', param: null },
        });
      } else {
        assert.deepEqual(data, { error: { code: 502, message: 'the upstream connection was lost mid-stream', status: 'INTERNAL' } });
      }
    });
  }

  it('the usage seen before the failure is metered', async () => {
    const upstream = failingUpstream(env.mock, cases.anthropic.whole + cases.anthropic.partial);
    const { reply: replied } = await streamUntil(cases.anthropic.path, cases.anthropic.body, 'Hello');
    upstream.cut();
    const reply = await replied;
    const id = String(reply.headers['x-gatehouse-request-id']);
    let row: any;
    for (let i = 0; i < 100 && !row; i++) {
      await env.ok(env.alice, 'usage --json'); // flushes the usage writer
      row = (await usageRows(env.gh)).find((r) => r.request_id === id);
    }
    assert.ok(row, 'a usage row');
    assert.deepEqual([row.status, row.input_tokens, row.output_tokens, row.model, row.api], [200, 25, 1, 'claude-sonnet-5-5', 'messages']);
    assert.ok(row.cost_micros > 0, 'gateway-source tokens are charged');
  });
});

describe('issue 11.6: an upstream that goes silent mid-stream', () => {
  it('past GATEHOUSE_UPSTREAM_TIMEOUT_MS the client’s stream ends with the error event, at a boundary', async () => {
    const slow = await startGatewayEnv({ env: { GATEHOUSE_UPSTREAM_TIMEOUT_MS: '300' } });
    try {
      const reply = await slow.request({ host: LLM, path: '/v1/messages', body: { ...ANTHROPIC_BODY, stream: true }, headers: { 'x-mock-scenario': JSON.stringify({ chunks: 3, gapAfterChunk: 1, gapInsideEvent: true, gapMs: 3000 }) } });
      assert.ok(reply.ended);
      const events = parseSse(reply.text);
      assert.ok(events.some((e) => e.data.includes('Hello')), 'what came before the silence arrived');
      assert.ok(!reply.text.includes(' token1'), 'the event split by the silence never arrives in part');
      assert.deepEqual([events.at(-1)!.event, JSON.parse(events.at(-1)!.data)], ['error', { type: 'error', error: { type: 'api_error', message: 'the upstream provider stopped sending mid-stream' } }]);
    } finally {
      await slow.stop();
    }
  });
});

describe('issue 11.6: Forwarder.endStreams ends what is in flight the same way', () => {
  let mock: MockProvider;
  let server: http.Server;
  let forwarder: Forwarder;
  let port: number;

  before(async () => {
    mock = await startMockProvider({ basePath: '/openai' });
    forwarder = new Forwarder(15_000, 60_000);
    const log = consoleLog();
    server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (d) => chunks.push(d));
      req.on('end', () => {
        const headers = { 'content-type': 'application/json', 'x-mock-scenario': String(req.headers['x-mock-scenario']) };
        forwarder.forward({ req, res, origin: new URL(mock.url).origin, path: `/openai${req.url}`, headers, body: Buffer.concat(chunks), style: 'anthropic' }).catch((err) => sendError(res, 'anthropic', err, log));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    port = (server.address() as AddressInfo).port;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await forwarder.close();
    await mock.close();
  });

  it('a stream gets the error event after its last whole event; a request still waiting for upstream gets a 502; upstream is aborted', async () => {
    const streaming = await open(port, { from: '127.0.0.1', path: '/v1/messages', body: { ...ANTHROPIC_BODY, stream: true }, headers: { 'x-mock-scenario': JSON.stringify({ chunks: 1000, chunkDelayMs: 20 }) } });
    const streamed = collect(streaming.res, streaming.req);
    const waiting = open(port, { from: '127.0.0.1', path: '/v1/messages', body: ANTHROPIC_BODY, headers: { 'x-mock-scenario': JSON.stringify({ headersDelayMs: 30_000 }) } });
    await mock.waitFor((r) => r.length === 2 && r.some((x) => x.status === 200));
    await new Promise<void>((resolve) => streaming.res.on('data', (d: Buffer) => d.includes('content_block_delta') && resolve()));
    const reason = 'the gateway is shutting down; retry the request';
    await forwarder.endStreams(reason);
    const reply = await streamed;
    assert.ok(reply.ended);
    const events = parseSse(reply.text);
    assert.ok(events.filter((e) => e.event === 'content_block_delta').length >= 1);
    assert.deepEqual([events.at(-1)!.event, JSON.parse(events.at(-1)!.data)], ['error', { type: 'error', error: { type: 'api_error', message: reason } }]);
    const refused = await collect((await waiting).res);
    assert.equal(refused.status, 502);
    assert.deepEqual(refused.json(), { type: 'error', error: { type: 'api_error', message: reason } });
    await mock.waitFor((r) => r.every((x) => x.aborted));
    assert.equal(await Promise.race([forwarder.endStreams(reason).then(() => 'idle'), new Promise((r) => setTimeout(r, 1000, 'waiting'))]), 'idle', 'nothing left in flight');
    // A request that reaches the forwarder after endStreams (it was still being admitted) is not
    // started upstream, where the shutdown's final cut would truncate it: the same 502 at once.
    const before = mock.requests.length;
    const late = await collect((await open(port, { from: '127.0.0.1', path: '/v1/messages', body: { ...ANTHROPIC_BODY, stream: true } })).res);
    assert.equal(late.status, 502);
    assert.deepEqual(late.json(), { type: 'error', error: { type: 'api_error', message: reason } });
    assert.equal(mock.requests.length, before, 'nothing went upstream');
  });
});
