// Issue 15.1 and 15.3: the Responses API over WebSocket, relayed from a VM through gatehouse to the
// mock upstream over real sockets: frames untouched and in order both ways, the operator's key
// injected and the client's removed, pings, closes and their codes, 426 wherever it cannot be served.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import WebSocket from 'ws';
import { intHost, OPERATOR_KEYS, raw, startGatewayEnv, UNKNOWN, type GatewayEnv } from '../helpers/gateway.js';
import { usageRows, until } from '../metering/helpers.js';
import { framesUntil, next, openSocket, refusingUpgrades, type Refusal } from '../helpers/websocket.js';

let env: GatewayEnv;
const LLM = intHost('llm');
const CODEX_HEADERS = { 'openai-beta': 'responses_websockets=2026-02-06', originator: 'codex_cli_rs', authorization: 'Bearer sk-client-own-secret', session_id: 'sess-1' };
const MAX_FRAME = 64 * 1024;

/** A Codex-like socket from alice-box (127.0.0.2) unless `from` says otherwise. */
function connect(path: string, host = LLM, from = '127.0.0.2', headers: Record<string, string> = CODEX_HEADERS): Promise<WebSocket> {
  return openSocket(`ws://127.0.0.1:${env.port}${path}`, { localAddress: from, headers: { ...headers, host } });
}

async function refused(path: string, host = LLM, from = '127.0.0.2'): Promise<Refusal> {
  const err = (await connect(path, host, from).then(
    (ws) => (ws.terminate(), assert.fail(`${path} on ${host} must not be relayed`)),
    (e) => e,
  )) as Refusal;
  assert.equal(typeof err.status, 'number', String(err));
  return err;
}

before(async () => {
  env = await startGatewayEnv({ env: { GATEHOUSE_MAX_BODY_BYTES: String(MAX_FRAME) } });
});
after(() => env.stop());
beforeEach(() => env.mock.reset());

describe('issue 15.1: a Responses WebSocket is relayed to the upstream', () => {
  for (const [path, host] of [['/v1/responses', LLM], ['/openai/v1/responses', LLM], ['/gateway/llm/openai/v1/responses', 'localhost'], [`/gateway/llm/openai/v1/responses?x=1`, `127.0.0.1`]]) {
    it(`issue 15.1: GET ${path} on ${host} opens one upstream socket at /v1/responses with the operator's key, not the client's`, async () => {
      const ws = await connect(path, host);
      await env.mock.waitForSockets((s) => s.length === 1);
      const up = env.mock.sockets[0];
      assert.equal(up.path, '/v1/responses');
      assert.equal(up.headers.authorization, `Bearer ${OPERATOR_KEYS.openai}`);
      assert.ok(!JSON.stringify(up.headers).includes('sk-client-own-secret'), 'the client credential never goes upstream');
      assert.equal(up.headers['openai-beta'], 'responses_websockets=2026-02-06');
      assert.equal(up.headers.originator, 'codex_cli_rs');
      assert.equal(up.headers['x-forwarded-for'], undefined);
      ws.close();
    });
  }

  it('issue 15.1: frames pass in order both ways, upstream\'s untouched, the client\'s as gatehouse read them (turns, a prewarm, a processed ack)', async () => {
    env.mock.setScenario({ usage: { input: 10, output: 5, cacheRead: 100 }, chunks: 5 });
    const ws = await connect('/v1/responses');
    const received: Array<{ data: string; binary: boolean }> = [];
    ws.on('message', (data: Buffer, binary: boolean) => received.push({ data: data.toString('utf8'), binary }));
    const sent = [
      JSON.stringify({ type: 'response.create', model: 'gpt-5.5', input: 'warm ✓', generate: false }),
      '{"type":"response.processed",  "response_id":"resp_1"}',
      JSON.stringify({ type: 'response.create', model: 'gpt-5.5', input: [{ role: 'user', content: 'say pong' }], store: false }),
    ];
    const turns = framesUntil(ws, (f) => f.type === 'response.completed' && f.response.output.length > 0);
    for (const text of sent) ws.send(text);
    const frames = await turns;
    await env.mock.waitForSockets((s) => s[0]?.frames.length === 3);
    const up = env.mock.sockets[0];
    // Each client frame is re-serialised from gatehouse's own reading: the same JSON, and no byte upstream could read otherwise.
    assert.deepEqual(up.frames, sent.map((data) => ({ data: JSON.stringify(JSON.parse(data)), binary: false })));
    assert.deepEqual(received.map((r) => r.data), up.sent, 'the client got exactly what upstream sent, in order');
    assert.ok(received.every((r) => !r.binary));
    assert.deepEqual(frames.slice(0, 2).map((f) => f.type), ['response.created', 'response.completed']);
    assert.equal(frames.filter((f) => f.type === 'response.output_text.delta').length, 5);
    assert.deepEqual(frames.at(-1).response.usage.input_tokens_details, { cached_tokens: 100 });
    ws.close();
  });

  it('issue 15.1: the upstream 101\'s headers Codex reads (x-codex-turn-state, x-models-etag) reach the client', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${env.port}/v1/responses`, { localAddress: '127.0.0.2', headers: { ...CODEX_HEADERS, host: LLM } });
    const upgraded = next<[import('node:http').IncomingMessage]>(ws, 'upgrade');
    const opened = next(ws, 'open');
    const [res] = await upgraded;
    assert.equal(res.headers['x-codex-turn-state'], 'mock-turn-state');
    assert.equal(res.headers['x-models-etag'], '"mock-etag"');
    assert.equal(res.headers.upgrade, 'websocket');
    await opened;
    ws.close();
  });

  it('issue 15.1: pings and pongs cross in both directions', async () => {
    const ws = await connect('/v1/responses');
    await env.mock.waitForSockets((s) => s.length === 1);
    ws.ping('from-client');
    await env.mock.waitForSockets((s) => s[0].pings.includes('from-client'));
    const pinged = next<[Buffer]>(ws, 'ping');
    env.mock.sockets[0].socket.ping('from-upstream');
    assert.equal((await pinged)[0].toString(), 'from-upstream');
    ws.close();
  });

  it('issue 15.1: a client that closes (code 4000) closes the upstream socket with that code within 1 s', async () => {
    const ws = await connect('/v1/responses');
    await env.mock.waitForSockets((s) => s.length === 1);
    const started = Date.now();
    ws.close(4000, 'bye');
    await env.mock.waitForSockets((s) => s[0].closed, 1000);
    assert.equal(env.mock.sockets[0].closeCode, 4000);
    assert.ok(env.mock.sockets[0].closedAt! - started < 1000);
  });

  it('issue 15.1: a client that vanishes mid-turn (TCP cut) closes the upstream socket within 1 s', async () => {
    env.mock.setScenario({ chunks: 50, chunkDelayMs: 20 });
    const ws = await connect('/v1/responses');
    const first = framesUntil(ws, 'response.output_text.delta');
    ws.send(JSON.stringify({ type: 'response.create', model: 'gpt-5.5', input: 'long' }));
    await first;
    ws.terminate();
    await env.mock.waitForSockets((s) => s[0]?.closed === true, 1000);
  });

  it('issue 15.1: an upstream that closes (code 4001) closes the client with that code', async () => {
    const ws = await connect('/v1/responses');
    await env.mock.waitForSockets((s) => s.length === 1);
    const closed = next<[number, Buffer]>(ws, 'close');
    env.mock.sockets[0].socket.close(4001, 'upstream done');
    const [code, reason] = await closed;
    assert.equal(code, 4001);
    assert.equal(reason.toString(), 'upstream done');
  });

  it('issue 15.2 (scope only): a response.create for a model outside the route gets an error frame; the socket stays usable', async () => {
    const ws = await connect('/v1/responses');
    const refusal = framesUntil(ws, 'error');
    ws.send(JSON.stringify({ type: 'response.create', model: 'claude-opus-5-5', input: 'hi' }));
    const [frame] = await refusal;
    assert.equal(frame.status, 400);
    assert.match(frame.error.message, /served by anthropic/);
    const turn = framesUntil(ws, 'response.completed');
    ws.send(JSON.stringify({ type: 'response.create', model: 'gpt-5.5', input: 'hi' }));
    await turn;
    await env.mock.waitForSockets((s) => s[0]?.frames.length === 1);
    assert.ok(!env.mock.sockets[0].frames[0].data.includes('claude'), 'the refused turn never went upstream');
    ws.close();
  });
});

describe('issue 15.2: each turn is metered as an HTTP request is', () => {
  /** Rows of turns begun since `since` (rows of earlier tests may still be on their way to the database). */
  const rowsOf = async (since: string) => (await usageRows(env.gh)).filter((r) => r.api === 'responses' && r.created_at >= since);

  it('issue 15.2: one usage row per turn with the tokens upstream reported, cache tokens included; a prewarm is metered as reported', async () => {
    const seen = new Date().toISOString();
    env.mock.setScenario({ usage: { input: 10, output: 5, cacheRead: 100 } });
    const ws = await connect('/v1/responses');
    const warm = framesUntil(ws, 'response.completed');
    ws.send(JSON.stringify({ type: 'response.create', model: 'gpt-5.5', input: 'warm', generate: false }));
    await warm;
    const turn = framesUntil(ws, 'response.completed');
    ws.send(JSON.stringify({ type: 'response.create', model: 'gpt-5.5', input: 'say pong' }));
    await turn;
    const rows = await until(async () => {
      const r = await rowsOf(seen);
      return r.length >= 2 && r;
    }, 'two usage rows');
    assert.equal(rows.length, 2);
    const [prewarm, answer] = rows;
    assert.deepEqual([prewarm.input_tokens, prewarm.output_tokens, prewarm.cache_read_tokens], [10, 0, 100]);
    assert.deepEqual([answer.input_tokens, answer.output_tokens, answer.cache_read_tokens], [10, 5, 100]);
    for (const row of rows) {
      assert.equal(row.status, 200);
      assert.equal(row.provider, 'openai');
      assert.equal(row.model, 'gpt-5.5');
      assert.equal(row.source, 'gateway');
      assert.equal(row.vm_name, 'alice-box');
      assert.equal(row.integration_name, 'llm');
      assert.ok(row.cost_micros > 0);
    }
    assert.notEqual(prewarm.request_id, answer.request_id);
    ws.close();
  });

  it('issue 15.2: a client that closes mid-turn leaves one row for the turn (status 499) and the upstream closed within 1 s', async () => {
    const seen = new Date().toISOString();
    env.mock.setScenario({ chunks: 50, chunkDelayMs: 20 });
    const ws = await connect('/v1/responses');
    const first = framesUntil(ws, 'response.output_text.delta');
    ws.send(JSON.stringify({ type: 'response.create', model: 'gpt-5.5', input: 'long' }));
    await first;
    ws.close();
    await env.mock.waitForSockets((s) => s[0]?.closed === true, 1000);
    const rows = await until(async () => {
      const r = await rowsOf(seen);
      return r.length >= 1 && r;
    }, 'a usage row');
    assert.deepEqual(rows.map((r: { status: number }) => r.status), [499], 'exactly one row, for the cut turn');
  });
});

describe('issue 15.2: upstream refusals', () => {
  it('issue 15.2: an upstream error frame reaches the client untouched and ends the turn with its status (one row); the next turn is served', async () => {
    const since = new Date().toISOString();
    const ws = await connect('/v1/responses');
    env.mock.enqueue({ error: { status: 429, body: { error: { message: 'slow down', type: 'requests', param: null, code: 'rate_limit_exceeded' } } } });
    const refusal = framesUntil(ws, 'error');
    ws.send(JSON.stringify({ type: 'response.create', model: 'gpt-5.5', input: 'hi' }));
    assert.deepEqual((await refusal)[0], { type: 'error', status: 429, error: { message: 'slow down', type: 'requests', param: null, code: 'rate_limit_exceeded' } });
    const turn = framesUntil(ws, 'response.completed');
    ws.send(JSON.stringify({ type: 'response.create', model: 'gpt-5.5', input: 'again' }));
    await turn;
    const rows = await until(async () => {
      const r = (await usageRows(env.gh)).filter((x) => x.api === 'responses' && x.created_at >= since);
      return r.length >= 2 && r;
    }, 'two usage rows');
    assert.deepEqual(rows.map((r) => r.status), [429, 200]);
    ws.close();
  });
});

describe('issue 15.2: rate limits per turn', () => {
  it('issue 15.2: over the per-minute limit a response.create gets a 429 error frame, nothing goes upstream, and the socket stays open', async () => {
    await env.ok(env.alice, 'admin limits set alice --rpm 2'); // the upgrade is one request, the first turn another
    try {
      const ws = await connect('/v1/responses');
      const first = framesUntil(ws, 'response.completed');
      ws.send(JSON.stringify({ type: 'response.create', model: 'gpt-5.5', input: 'one' }));
      await first;
      const refusal = framesUntil(ws, 'error');
      ws.send(JSON.stringify({ type: 'response.create', model: 'gpt-5.5', input: 'two' }));
      const [frame] = await refusal;
      assert.equal(frame.status, 429);
      assert.match(frame.error.message, /rate limit reached: 2 requests per minute/);
      ws.ping('still-open');
      await env.mock.waitForSockets((s) => s[0]?.pings.includes('still-open'));
      assert.equal(env.mock.sockets[0].frames.length, 1, 'the refused turn never went upstream');
      ws.close();
    } finally {
      await env.ok(env.alice, 'admin limits set alice --reset');
    }
  });
});

describe('issue 15.2: credits exhausted', () => {
  it('issue 15.2: a response.create gets a 402 error frame in OpenAI\'s shape, nothing goes upstream, and the socket stays usable', async () => {
    const broke = await startGatewayEnv({ env: { GATEHOUSE_MONTHLY_CREDITS: '0' } });
    try {
      const ws = await openSocket(`ws://127.0.0.1:${broke.port}/v1/responses`, { localAddress: '127.0.0.2', headers: { ...CODEX_HEADERS, host: LLM } });
      const refusal = framesUntil(ws, 'error');
      ws.send(JSON.stringify({ type: 'response.create', model: 'gpt-5.5', input: 'hi' }));
      const [frame] = await refusal;
      assert.equal(frame.status, 402);
      assert.equal(frame.error.code, 'payment_required');
      assert.match(frame.error.message, /credits exhausted/);
      ws.send('{"type":"response.processed","response_id":"resp_1"}');
      await broke.mock.waitForSockets((s) => s[0]?.frames.length === 1);
      assert.equal(JSON.parse(broke.mock.sockets[0].frames[0].data).type, 'response.processed', 'only the frame after the refusal went upstream');
      ws.close();
    } finally {
      await broke.stop();
    }
  });
});

describe('issue 15.3: refused quickly where it cannot be served', () => {
  const routes: [string, string][] = [
    ['/v1/messages', LLM],
    ['/anthropic/v1/messages', LLM],
    ['/gateway/llm/anthropic/v1/messages', 'localhost'],
    ['/v1beta/models/gemini-2.5-pro:streamGenerateContent', LLM],
    ['/gateway/llm/gemini/v1beta/models/gemini-2.5-pro:streamGenerateContent', 'localhost'],
    ['/fireworks/inference/v1/responses', LLM],
    ['/gateway/llm/fireworks/inference/v1/chat/completions', 'localhost'],
    ['/v1/chat/completions', LLM],
    ['/', 'localhost'],
    ['/email', intHost('reflection')],
  ];
  for (const [path, host] of routes) {
    it(`issue 15.3: GET ${path} on ${host} is 426 (Codex falls back to HTTP at once), nothing upstream`, async () => {
      const started = Date.now();
      const err = await refused(path, host);
      assert.equal(err.status, 426, err.body);
      assert.equal(JSON.parse(err.body).error.code, 'upgrade_required');
      assert.ok(Date.now() - started < 1000);
      assert.equal(env.mock.sockets.length + env.mock.requests.length, 0);
    });
  }

  it('issue 15.3: an integration with OpenAI disabled is 426 (over HTTP it is told why)', async () => {
    await env.ok(env.alice, 'integrations add llm --name nogpt --openai=disabled --attach vm:alice-box');
    const err = await refused('/v1/responses', intHost('nogpt'));
    assert.equal(err.status, 426);
    assert.match(JSON.parse(err.body).error.message, /openai is disabled/);
    assert.equal(env.mock.sockets.length, 0);
  });

  it('an unknown VM is refused (401) before anything goes upstream', async () => {
    const err = await refused('/v1/responses', LLM, UNKNOWN);
    assert.equal(err.status, 401);
    assert.equal(env.mock.sockets.length, 0);
  });

  it('a malformed handshake (no Sec-WebSocket-Key) is 400, nothing upstream', async () => {
    const r = await raw(env.port, `GET /v1/responses HTTP/1.1\r\nHost: ${LLM}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n\r\n`);
    assert.match(r.text, /^HTTP\/1\.1 400 /);
    assert.equal(env.mock.sockets.length, 0);
  });
});

describe('issue 15.3: an upstream that refuses the upgrade', () => {
  it('issue 15.3: is a 426 for the client at once, and the same path still answers over HTTP', async () => {
    const front = await refusingUpgrades(env.mock.port);
    const other = await startGatewayEnv({ upstreams: { openai: `http://127.0.0.1:${front.port}/openai` } });
    try {
      const started = Date.now();
      const err = (await openSocket(`ws://127.0.0.1:${other.port}/v1/responses`, { localAddress: '127.0.0.2', headers: { ...CODEX_HEADERS, host: LLM } }).then(
        () => assert.fail('must not be relayed'),
        (e) => e,
      )) as Refusal;
      assert.equal(err.status, 426, err.body);
      assert.match(JSON.parse(err.body).error.message, /does not accept the Responses WebSocket \(HTTP 404\)/);
      assert.ok(Date.now() - started < 1000);
      assert.equal((await other.request({ host: LLM, path: '/v1/responses', body: { model: 'gpt-5.5', input: 'hi' } })).status, 200);
    } finally {
      await other.stop();
      await front.close();
    }
  });
});

describe('shutdown', () => {
  it('a stopping gatehouse (drain 0: cut at once) closes both sides of a relayed socket; nothing upstream is left open', async () => {
    const other = await startGatewayEnv();
    let stopped = false;
    try {
      const ws = await openSocket(`ws://127.0.0.1:${other.port}/v1/responses`, { localAddress: '127.0.0.2', headers: { ...CODEX_HEADERS, host: LLM } });
      await other.mock.waitForSockets((s) => s.length === 1);
      const closed = next<[number]>(ws, 'close');
      const stopping = other.gh.stop();
      assert.ok([1001, 1006].includes((await closed)[0]));
      await other.mock.waitForSockets((s) => s[0].closed, 1000);
      await stopping;
      stopped = true;
    } finally {
      if (!stopped) await other.gh.stop();
      await other.mock.close();
    }
  });
});

describe('hostile sockets', () => {
  it(`a frame over the body cap (${MAX_FRAME} bytes) closes the client with 1009, and the upstream socket with it`, async () => {
    const ws = await connect('/v1/responses');
    await env.mock.waitForSockets((s) => s.length === 1);
    const closed = next<[number]>(ws, 'close');
    ws.send('x'.repeat(MAX_FRAME + 1));
    assert.equal((await closed)[0], 1009);
    await env.mock.waitForSockets((s) => s[0].closed, 1000);
    assert.equal(env.mock.sockets[0].frames.length, 0);
  });

  it('another client is still answered over HTTP while a socket floods frames', async () => {
    const ws = await connect('/v1/responses');
    await env.mock.waitForSockets((s) => s.length === 1);
    const junk = 'y'.repeat(MAX_FRAME - 1);
    let flooding = true;
    const flood = () => {
      while (flooding && ws.bufferedAmount < 4 << 20) ws.send(junk);
      if (flooding) setImmediate(flood);
    };
    flood();
    const started = performance.now();
    const reply = await env.request({ host: LLM, path: '/v1/responses', from: '127.0.0.2', body: { model: 'gpt-5.5', input: 'hi' } });
    const ms = performance.now() - started;
    flooding = false;
    assert.equal(reply.status, 200);
    assert.ok(ms < 2000, `answered in ${Math.round(ms)} ms during the flood`);
    ws.terminate();
  });
});

