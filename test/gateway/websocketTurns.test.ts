// Issue 15.4: a WebSocket turn is planned as an HTTP request is (plan.ts): a provider-prefixed
// model id goes upstream bare, each response.create is planned again from the current index (an
// integration or API key edited over SSH applies from the next turn, a changed credential closes
// the socket with 1012 so the client reconnects), and a 429 frame carries the retry-after headers.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import WebSocket from 'ws';
import { intHost, OPERATOR_KEYS, startGatewayEnv, type GatewayEnv } from '../helpers/gateway.js';
import { usageRows, until } from '../metering/helpers.js';
import { framesUntil, next, openSocket } from '../helpers/websocket.js';

let env: GatewayEnv;
const HEADERS = { 'openai-beta': 'responses_websockets=2026-02-06', originator: 'codex_cli_rs' };
const OWN_KEY = 'sk-alice-own-0001';

/** A Codex-like socket to integration `name` from alice-box, with extra headers (an API key). */
function connect(name: string, headers: Record<string, string> = {}): Promise<WebSocket> {
  return openSocket(`ws://127.0.0.1:${env.port}/v1/responses`, { localAddress: '127.0.0.2', headers: { ...HEADERS, ...headers, host: intHost(name) } });
}

const create = (input: string, model = 'gpt-5.5') => JSON.stringify({ type: 'response.create', model, input });

/** One turn: the frames up to its end (response.completed or an error frame). */
function turn(ws: WebSocket, frame: string): Promise<any[]> {
  const frames = framesUntil(ws, (f) => f.type === 'response.completed' || f.type === 'error');
  ws.send(frame);
  return frames;
}

/** A fresh llm integration attached to alice-box, so each test edits its own. */
async function integration(name: string, flags = ''): Promise<void> {
  await env.ok(env.alice, `integrations add llm --name ${name} ${flags} --attach vm:alice-box`, flags.includes('-key=-') ? OWN_KEY : undefined);
}

/** The upstream frames of the socket opened for this test (mock.reset() runs before each). */
const upstreamFrames = () => env.mock.sockets.flatMap((s) => s.frames.map((f) => f.data));

before(async () => {
  env = await startGatewayEnv();
});
after(() => env.stop());
beforeEach(() => env.mock.reset());

describe('issue 15.4: a prefixed model id goes upstream bare', () => {
  it('issue 15.4: response.create with model "openai/gpt-5.5" reaches upstream as "gpt-5.5", the rest of the frame unchanged; the row names gpt-5.5', async () => {
    const since = new Date().toISOString();
    const ws = await connect('llm');
    const frames = await turn(ws, JSON.stringify({ type: 'response.create', model: 'openai/gpt-5.5', input: [{ role: 'user', content: 'hi ✓' }], store: false }));
    assert.equal(frames.at(-1).type, 'response.completed');
    const [sent] = upstreamFrames();
    assert.deepEqual(JSON.parse(sent), { type: 'response.create', model: 'gpt-5.5', input: [{ role: 'user', content: 'hi ✓' }], store: false });
    // An unprefixed frame behind it goes as gatehouse read it: the same JSON.
    const plain = '{"type":"response.create",  "model":"gpt-5.5","input":"again"}';
    await turn(ws, plain);
    assert.equal(upstreamFrames()[1], JSON.stringify(JSON.parse(plain)));
    const rows = await until(async () => {
      const r = (await usageRows(env.gh)).filter((x) => x.api === 'responses' && x.created_at >= since);
      return r.length >= 2 && r;
    }, 'two usage rows');
    assert.deepEqual(rows.map((r) => r.model), ['gpt-5.5', 'gpt-5.5']);
    ws.close();
  });

  it('issue 15.4: a prefix of another provider ("anthropic/gpt-5.5") is refused with a 400 frame, nothing upstream', async () => {
    const ws = await connect('llm');
    const [frame] = await turn(ws, create('hi', 'anthropic/gpt-5.5'));
    assert.equal(frame.status, 400);
    assert.match(frame.error.message, /served by anthropic, not openai/);
    assert.deepEqual(upstreamFrames(), []);
    ws.close();
  });

  it('issue 15.4: a response.create naming no model is refused on the managed key (403, as over HTTP), the socket stays usable', async () => {
    const ws = await connect('llm');
    const [frame] = await turn(ws, JSON.stringify({ type: 'response.create', input: 'hi' }));
    assert.equal(frame.status, 403);
    assert.match(frame.error.message, /names no model, and the managed openai key serves model calls only/);
    assert.equal((await turn(ws, create('hi'))).at(-1).type, 'response.completed');
    assert.equal(upstreamFrames().length, 1);
    ws.close();
  });

  it('issue 15.4: hostile model fields (an id over 256 characters, a number) are refused with a frame (400, 403); the socket stays usable', async () => {
    const ws = await connect('llm');
    const [long] = await turn(ws, create('hi', `openai/${'x'.repeat(300)}`));
    assert.equal(long.status, 400);
    assert.match(long.error.message, /model id is too long/);
    const [numeric] = await turn(ws, JSON.stringify({ type: 'response.create', model: 42, input: 'hi' }));
    assert.equal(numeric.status, 403);
    assert.equal((await turn(ws, create('hi', 'openai/gpt-5.5'))).at(-1).type, 'response.completed');
    assert.deepEqual(upstreamFrames().map((f) => JSON.parse(f).model), ['gpt-5.5']);
    ws.close();
  });
});

describe('issue 15.4: integration edits apply from the next turn', () => {
  it('issue 15.4: a scope edit (--models) refuses the next turn with a 403 frame; the socket stays open and an allowed model is served', async () => {
    await integration('scoped');
    const ws = await connect('scoped');
    assert.equal((await turn(ws, create('one'))).at(-1).type, 'response.completed');
    await env.ok(env.alice, "integrations edit scoped --models 'openai/gpt-4*'");
    const [frame] = await turn(ws, create('two'));
    assert.equal(frame.status, 403);
    assert.match(frame.error.message, /model "gpt-5.5" is not allowed by integration "scoped"/);
    assert.equal((await turn(ws, create('three', 'gpt-4.1'))).at(-1).type, 'response.completed');
    assert.equal(ws.readyState, WebSocket.OPEN);
    assert.deepEqual(upstreamFrames().map((f) => JSON.parse(f).input), ['one', 'three']);
    ws.close();
  });

  const refusals: Array<[string, (name: string) => string, number, RegExp]> = [
    ['a detach', (n) => `integrations detach ${n} vm:alice-box`, 403, /is not attached to VM alice-box/],
    ['a removed integration', (n) => `integrations remove ${n}`, 404, /not found/],
    ['OpenAI disabled', (n) => `integrations edit ${n} --openai=disabled`, 403, /openai is disabled/],
  ];
  for (const [what, command, status, message] of refusals) {
    it(`issue 15.4: ${what} refuses the next turn with a ${status} frame, then closes the socket (1008); nothing more goes upstream`, async () => {
      const name = `edit${refusals.findIndex((r) => r[0] === what)}`;
      await integration(name);
      const ws = await connect(name);
      await turn(ws, create('one'));
      await env.ok(env.alice, command(name));
      const closed = next<[number, Buffer]>(ws, 'close');
      const [frame] = await turn(ws, create('two'));
      assert.equal(frame.status, status);
      assert.match(frame.error.message, message);
      assert.equal((await closed)[0], 1008);
      await env.mock.waitForSockets((s) => s[0]?.closed === true, 1000);
      assert.equal(upstreamFrames().length, 1);
    });
  }

  it('issue 15.4: a revoked API key refuses the next turn with a 401 frame, then closes the socket', async () => {
    const key = /gk_[A-Za-z0-9]{40}/.exec(await env.ok(env.alice, 'keys create --name ws-revoked'))![0];
    const ws = await connect('llm', { authorization: `Bearer ${key}` });
    await turn(ws, create('one'));
    await env.ok(env.alice, 'keys revoke ws-revoked');
    const closed = next<[number, Buffer]>(ws, 'close');
    const [frame] = await turn(ws, create('two'));
    assert.equal(frame.status, 401);
    assert.match(frame.error.message, /invalid API key/);
    assert.equal((await closed)[0], 1008);
    assert.equal(upstreamFrames().length, 1);
  });
});

describe('issue 15.4: a changed credential closes the socket between turns (1012)', () => {
  /** Edits the integration, sends a turn, expects the close and nothing upstream; then a new socket carries `key`. */
  async function changed(name: string, edit: string, key: string): Promise<void> {
    const ws = await connect(name);
    await turn(ws, create('one'));
    await env.ok(env.alice, edit, edit.includes('-key=-') ? 'sk-alice-own-0002' : undefined);
    const closed = next<[number, Buffer]>(ws, 'close');
    ws.send(create('two'));
    const [code, reason] = await closed;
    assert.equal(code, 1012);
    assert.match(reason.toString(), /the integration changed/);
    await env.mock.waitForSockets((s) => s[0]?.closed === true, 1000);
    assert.equal(upstreamFrames().length, 1, 'the frame was not forwarded with the stale key');
    const again = await connect(name);
    assert.equal((await turn(again, create('three'))).at(-1).type, 'response.completed');
    assert.equal(env.mock.sockets[1].headers.authorization, `Bearer ${key}`);
    again.close();
  }

  it('issue 15.4: the source changed from the managed key to the owner\'s own key', async () => {
    await integration('switched');
    await changed('switched', 'integrations edit switched --openai=byok --openai-key=-', 'sk-alice-own-0002');
  });

  it('issue 15.4: the owner\'s own key replaced', async () => {
    await integration('rekeyed', '--openai=byok --openai-key=-');
    await changed('rekeyed', 'integrations edit rekeyed --openai-key=-', 'sk-alice-own-0002');
  });

  it('issue 15.4: back from the owner\'s key to the managed key', async () => {
    await integration('managed', '--openai=byok --openai-key=-');
    await changed('managed', 'integrations edit managed --openai=gateway', OPERATOR_KEYS.openai);
  });

  it('issue 15.4: an edit that keeps the credential (another provider) keeps the socket', async () => {
    await integration('kept');
    const ws = await connect('kept');
    await turn(ws, create('one'));
    await env.ok(env.alice, 'integrations edit kept --anthropic=disabled');
    assert.equal((await turn(ws, create('two'))).at(-1).type, 'response.completed');
    assert.equal(env.mock.sockets.length, 1);
    ws.close();
  });
});

describe('issue 15.4: 429 frames carry the retry-after headers', () => {
  it('issue 15.4: over the per-minute limit the error frame has headers retry-after and retry-after-ms, as the HTTP 429 does', async () => {
    await env.ok(env.alice, 'admin limits set alice --rpm 2');
    try {
      const ws = await connect('llm');
      await turn(ws, create('one'));
      const [frame] = await turn(ws, create('two'));
      assert.equal(frame.status, 429);
      const { 'retry-after': seconds, 'retry-after-ms': ms } = frame.headers;
      assert.match(ms, /^\d+$/);
      assert.ok(Number(ms) > 0 && Number(ms) <= 60_000, ms);
      assert.equal(seconds, String(Math.max(1, Math.ceil(Number(ms) / 1000))));
      const http = await env.request({ host: intHost('llm'), path: '/v1/responses', body: { model: 'gpt-5.5', input: 'hi' } });
      assert.equal(http.status, 429);
      assert.ok(Math.abs(Number(http.headers['retry-after-ms']) - Number(ms)) < 5000, 'the same clock as HTTP');
      assert.equal(ws.readyState, WebSocket.OPEN);
      ws.close();
    } finally {
      await env.ok(env.alice, 'admin limits set alice --reset');
    }
  });
});
