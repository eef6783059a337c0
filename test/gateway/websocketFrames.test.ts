// Issue 15.2 against hostile clients: every client frame is read whole and only known types pass,
// re-serialised (so no frame can be a metered turn to upstream and something else to gatehouse);
// a response.append between turns is a turn; one turn at a time, so an error frame upstream sends
// mid-turn cannot end the metering of the turn in flight; refusals are rate limited like HTTP's and
// a client that never reads them is cut off; no subprotocol (a browser's key carrier) goes upstream.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import WebSocket from 'ws';
import { intHost, raw, startGatewayEnv, type GatewayEnv } from '../helpers/gateway.js';
import { usageRows, until } from '../metering/helpers.js';
import { framesUntil, next, openSocket } from '../helpers/websocket.js';

const LLM = intHost('llm');
const HEADERS = { 'openai-beta': 'responses_websockets=2026-02-06', originator: 'codex_cli_rs' };
const create = (input: string) => JSON.stringify({ type: 'response.create', model: 'gpt-5.5', input });

function connect(env: GatewayEnv, protocols?: string[]): Promise<WebSocket> {
  return openSocket(`ws://127.0.0.1:${env.port}/v1/responses`, { localAddress: '127.0.0.2', headers: { ...HEADERS, host: LLM }, ...(protocols && { protocols }) } as WebSocket.ClientOptions);
}

const upgradeHead = (method: string, upgrade: string) =>
  `${method} /v1/responses HTTP/1.1\r\nhost: ${LLM}\r\nconnection: Upgrade\r\nupgrade: ${upgrade}\r\nsec-websocket-version: 13\r\nsec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n`;

describe('issue 15.2: hostile frames under zero credits never reach upstream', () => {
  let broke: GatewayEnv;
  before(async () => {
    broke = await startGatewayEnv({ env: { GATEHOUSE_MONTHLY_CREDITS: '0' } });
  });
  after(() => broke.stop());

  const cases: [string, string | Buffer, number][] = [
    ['a binary frame holding a response.create', Buffer.from(create('bin')), 400],
    ['leading whitespace', `\n  ${create('ws')}`, 402],
    ['a byte-order mark', `\uFEFF${create('bom')}`, 400],
    ['duplicate "type" keys', '{"type":"response.processed","type":"response.create","model":"gpt-5.5","input":"dup"}', 402],
    ['an uppercase type', '{"type":"RESPONSE.CREATE","model":"gpt-5.5","input":"up"}', 400],
    ['an unknown type', '{"type":"session.update","session":{}}', 400],
    ['text that is not JSON', 'not json at all ✓', 400],
    ['a JSON array', `[${create('arr')}]`, 400],
    ['trailing garbage', `${create('tail')} {"x":1}`, 400],
    ['a response.append between turns (a turn of its own)', '{"type":"response.append","model":"gpt-5.5","input":"more"}', 402],
  ];
  for (const [name, frame, status] of cases) {
    it(`issue 15.2: ${name} gets a ${status} error frame, nothing goes upstream, the socket stays open`, async () => {
      broke.mock.reset();
      const ws = await connect(broke);
      const refusal = framesUntil(ws, 'error');
      ws.send(frame, { binary: Buffer.isBuffer(frame) });
      const [answer] = await refusal;
      assert.equal(answer.status, status, JSON.stringify(answer));
      // The socket still carries frames: an allowed one goes upstream, serialised by gatehouse.
      ws.send('{"type":"response.processed", "response_id":"resp_1"}');
      await broke.mock.waitForSockets((s) => s[0]?.frames.length === 1);
      assert.deepEqual(broke.mock.sockets[0].frames, [{ data: '{"type":"response.processed","response_id":"resp_1"}', binary: false }]);
      assert.equal(ws.readyState, WebSocket.OPEN);
      ws.close();
    });
  }
});

describe('issue 15.2: one turn at a time', () => {
  let env: GatewayEnv;
  before(async () => {
    env = await startGatewayEnv();
  });
  after(() => env.stop());
  beforeEach(() => env.mock.reset());
  const rowsSince = async (since: string) => (await usageRows(env.gh)).filter((r) => r.api === 'responses' && r.created_at >= since);

  it('issue 15.2: a second response.create sent mid-turn goes upstream only after the first turn completed', async () => {
    env.mock.setScenario({ chunks: 10, chunkDelayMs: 20 });
    const ws = await connect(env);
    let completedBeforeSecond: boolean | undefined;
    const second = env.mock.waitForSockets((s) => {
      if (s[0]?.frames.length !== 2) return false;
      completedBeforeSecond ??= s[0].sent.some((f) => JSON.parse(f).type === 'response.completed');
      return true;
    });
    const bothTurns = framesUntil(ws, (() => {
      let completed = 0;
      return (f: any) => f.type === 'response.completed' && ++completed === 2;
    })());
    ws.send(create('one'));
    ws.send(create('two'));
    await second;
    await bothTurns;
    assert.equal(completedBeforeSecond, true, 'upstream saw the second turn only after it had completed the first');
    ws.close();
  });

  it('issue 15.2: an upstream that sends its events as binary frames still ends its turns (the next turn is not held for ever)', async () => {
    const since = new Date().toISOString();
    env.mock.setScenario({ binaryFrames: true, usage: { input: 7, output: 3 } });
    const ws = await connect(env);
    for (const input of ['one', 'two']) {
      const done = framesUntil(ws, 'response.completed'); // with a deadline: a held turn fails, not hangs
      ws.send(create(input));
      await done;
    }
    const rows = await until(async () => {
      const r = await rowsSince(since);
      return r.length >= 2 && r;
    }, 'two usage rows');
    assert.deepEqual(rows.map((r) => [r.status, r.input_tokens, r.output_tokens]), [[200, 7, 3], [200, 7, 3]]);
    ws.close();
  });

  it('issue 15.2: an error frame upstream sends after response.created does not end the turn: its completion is metered', async () => {
    const since = new Date().toISOString();
    env.mock.setScenario({ chunks: 10, chunkDelayMs: 30, usage: { input: 1000, output: 500 } });
    const ws = await connect(env);
    const firstDelta = framesUntil(ws, 'response.output_text.delta');
    const completed = framesUntil(ws, 'response.completed');
    ws.send(create('long'));
    await firstDelta;
    // Upstream refuses something mid-turn (as it would an append it cannot take); the turn goes on.
    env.mock.sockets[0].socket.send(JSON.stringify({ type: 'error', status: 400, error: { type: 'invalid_request_error', message: 'bad append' } }));
    await completed;
    const rows = await until(async () => {
      const r = await rowsSince(since);
      return r.length >= 1 && r;
    }, 'a usage row');
    assert.deepEqual(rows.map((r) => [r.status, r.input_tokens, r.output_tokens]), [[200, 1000, 500]]);
    ws.close();
  });
});

describe('issue 15.1: hostile upgrades', () => {
  let env: GatewayEnv;
  before(async () => {
    env = await startGatewayEnv();
  });
  after(() => env.stop());
  beforeEach(() => env.mock.reset());

  it('issue 15.1: a subprotocol (a browser\'s key carrier) never goes upstream and none is chosen', async () => {
    await assert.rejects(connect(env, ['openai-insecure-api-key.gk_secret_in_protocol']), /subprotocol/i);
    await env.mock.waitForSockets((s) => s.length === 1);
    assert.equal(env.mock.sockets[0].headers['sec-websocket-protocol'], undefined);
    assert.ok(!JSON.stringify(env.mock.sockets[0].headers).includes('gk_secret_in_protocol'));
  });

  it('issue 15.1: a POST upgrade is 400 and an h2c upgrade 426, before any upstream socket is opened', async () => {
    const post = await raw(env.port, upgradeHead('POST', 'websocket'), { until: (t) => t.includes('\r\n\r\n') });
    assert.match(post.text, /^HTTP\/1\.1 400 /);
    const h2c = await raw(env.port, upgradeHead('GET', 'h2c'), { until: (t) => t.includes('\r\n\r\n') });
    assert.match(h2c.text, /^HTTP\/1\.1 426 /);
    assert.equal(env.mock.sockets.length, 0);
  });

  it('issue 15.2: a client that sends refused frames and never reads the answers is cut off; others are still served', async () => {
    const ws = await connect(env);
    ws.pause(); // reads nothing from here on: the error frames pile up at gatehouse
    const closed = next<[number]>(ws, 'close', 30_000);
    const junk = '{"type":"junk.' + 'x'.repeat(40) + '"}';
    // Keep writing (a batch per turn of the loop, so gatehouse runs between them) until the cut
    // makes a write fail: a paused reader would not see the close otherwise.
    for (let batch = 0; batch < 400 && ws.readyState === WebSocket.OPEN; batch++) {
      for (let i = 0; i < 1000 && ws.readyState === WebSocket.OPEN; i++) ws.send(junk);
      await new Promise((resolve) => setImmediate(resolve));
    }
    const [code] = await closed;
    assert.equal(code, 1006, 'cut off, not buffered for');
    const other = await connect(env);
    const frames = framesUntil(other, 'response.completed');
    other.send(create('still served'));
    assert.equal((await frames).at(-1).type, 'response.completed');
    other.close();
  });
});
