// Issue 15: a graceful stop drains relayed Responses WebSockets as it drains HTTP streams. A socket
// between turns is closed at once with 1001 ("going away": Codex reconnects elsewhere); one with a
// turn in flight gets that turn whole (and metered) and then 1001, or 1001 when the drain period
// ends; the upstream side is closed too, and the stop waits for the closing handshakes (bounded)
// before it cuts connections, so clients read 1001, never 1006.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import net from 'node:net';
import { describe, it } from 'node:test';
import type WebSocket from 'ws';
import { intHost, startGatewayEnv, type GatewayEnv } from '../helpers/gateway.js';
import { usageRows, until } from '../metering/helpers.js';
import { framesUntil, openSocket } from '../helpers/websocket.js';

const LLM = intHost('llm');
const REASON = 'gatehouse is shutting down';
const TURN = JSON.stringify({ type: 'response.create', model: 'gpt-5.5', input: 'say pong' });
const DEADLINE_MS = 10_000;

function connect(env: GatewayEnv): Promise<WebSocket> {
  return openSocket(`ws://127.0.0.1:${env.port}/v1/responses`, { localAddress: '127.0.0.2', headers: { host: LLM, 'openai-beta': 'responses_websockets=2026-02-06' } });
}

interface Ending {
  code: number;
  reason: string;
  /** Types of the frames received before the close, in order. */
  frames: string[];
  at: number;
}

/** Every frame's type until the socket closes, then the close code and reason (with a deadline). */
function ending(ws: WebSocket): Promise<Ending> {
  const frames: string[] = [];
  ws.on('message', (data: Buffer) => frames.push(JSON.parse(data.toString()).type));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`deadline: not closed after ${frames.length} frames`)), DEADLINE_MS);
    ws.once('close', (code: number, reason: Buffer) => {
      clearTimeout(timer);
      resolve({ code, reason: reason.toString(), frames, at: performance.now() });
    });
  });
}

interface Drained extends GatewayEnv {
  /** Stops the gatehouse with `drainMs` (once); resolves with when it was stopped. */
  stopping(drainMs?: number): Promise<number>;
}

async function withEnv(run: (env: Drained) => Promise<void>): Promise<void> {
  const env = await startGatewayEnv();
  let stopped: Promise<number> | undefined;
  const stopping = (drainMs = 0) => (stopped ??= env.gh.app.stop({ drainMs }).then(() => performance.now()));
  try {
    await run({ ...env, stopping });
  } finally {
    await stopping().catch(() => {});
    await env.mock.close();
  }
}

async function rowsOf(env: GatewayEnv): Promise<any[]> {
  return (await usageRows(env.gh)).filter((r) => r.api === 'responses');
}

describe('issue 15: a graceful stop drains relayed WebSockets', () => {
  it('issue 15: a socket between turns is closed at once with 1001 (upstream too), without waiting for the drain period', async () => {
    await withEnv(async (env) => {
      const ws = await connect(env);
      const turn = framesUntil(ws, 'response.completed');
      ws.send(TURN);
      await turn; // a finished turn: the socket is between turns
      await env.mock.waitForSockets((s) => s.length === 1);
      const closed = ending(ws);
      const began = performance.now();
      const stopped = env.stopping(20_000);
      const end = await closed;
      assert.deepEqual([end.code, end.reason], [1001, REASON]);
      assert.ok(end.at - began < 2_000, `closed ${Math.round(end.at - began)} ms after the stop began`);
      await env.mock.waitForSockets((s) => s[0].closed, 2_000);
      assert.equal(env.mock.sockets[0].closeCode, 1001);
      assert.ok((await stopped) - began < 5_000, 'the stop did not wait for the drain period');
    });
  });

  it('issue 15: a stop without a drain period still closes every relayed socket with 1001, not a cut (1006)', async () => {
    await withEnv(async (env) => {
      const sockets = await Promise.all(Array.from({ length: 5 }, () => connect(env)));
      await env.mock.waitForSockets((s) => s.length === 5);
      const ends = sockets.map(ending);
      await env.stopping();
      for (const end of await Promise.all(ends)) assert.deepEqual([end.code, end.reason], [1001, REASON]);
      await env.mock.waitForSockets((s) => s.every((x) => x.closed), 2_000);
    });
  });

  it('issue 15: a socket with a turn in flight gets the whole turn, then 1001; the turn is metered (status 200) and upstream is closed', async () => {
    await withEnv(async (env) => {
      env.mock.setScenario({ chunks: 20, chunkDelayMs: 50, usage: { input: 12, output: 7, cacheRead: 30 } }); // about 1 s
      const busy = await connect(env);
      const idle = await connect(env);
      await env.mock.waitForSockets((s) => s.length === 2);
      const busyEnd = ending(busy);
      const idleEnd = ending(idle);
      const first = framesUntil(busy, 'response.output_text.delta');
      busy.send(TURN);
      await first;
      const began = performance.now();
      const stopped = env.stopping(20_000);
      const idleClosed = await idleEnd;
      assert.deepEqual([idleClosed.code, idleClosed.reason], [1001, REASON], 'the idle socket went away at once');
      const end = await busyEnd;
      assert.ok(idleClosed.at < end.at, 'the idle socket did not wait for the busy one');
      assert.deepEqual([end.code, end.reason], [1001, REASON]);
      assert.equal(end.frames.at(-1), 'response.completed', 'the turn completed, and nothing followed it');
      assert.equal(end.frames.filter((t) => t === 'response.output_text.delta').length, 20);
      const stoppedAt = await stopped;
      assert.ok(stoppedAt - began < 5_000, `stopped ${Math.round(stoppedAt - began)} ms after it began, not after the drain period`);
      const busyUp = env.mock.sockets.find((s) => s.frames.length > 0)!;
      assert.ok(busyUp.closed);
      assert.equal(busyUp.closeCode, 1001);
      const rows = await rowsOf(env);
      assert.equal(rows.length, 1);
      assert.equal(rows[0].status, 200);
      assert.deepEqual([rows[0].input_tokens, rows[0].output_tokens, rows[0].cache_read_tokens], [12, 7, 30]);
    });
  });

  it('issue 15: a turn that outlives the drain period is closed with 1001 when it ends, recorded as cut (499), upstream closed', async () => {
    await withEnv(async (env) => {
      env.mock.setScenario({ chunks: 200, chunkDelayMs: 50 }); // about 10 s
      const ws = await connect(env);
      const end = ending(ws);
      const first = framesUntil(ws, 'response.output_text.delta');
      ws.send(TURN);
      await first;
      const began = performance.now();
      const stoppedAt = await env.stopping(500);
      const closed = await end;
      assert.deepEqual([closed.code, closed.reason], [1001, REASON]);
      assert.ok(!closed.frames.includes('response.completed'));
      assert.ok(closed.at - began >= 400, 'the turn had the drain period');
      assert.ok(stoppedAt - began < 3_000, `stopped ${Math.round(stoppedAt - began)} ms after it began`);
      assert.ok(env.mock.sockets[0].closed);
      const rows = await until(async () => {
        const r = await rowsOf(env);
        return r.length > 0 && r;
      }, 'a usage row');
      assert.deepEqual(rows.map((r) => r.status), [499]);
    });
  });

  it('issue 15: a client that never answers the close frame holds the stop no longer than the drain period plus a bound', async () => {
    await withEnv(async (env) => {
      const silent = await rawSocket(env.port);
      await env.mock.waitForSockets((s) => s.length === 1);
      const closed = new Promise((resolve) => silent.once('close', resolve));
      const began = performance.now();
      const stoppedAt = await env.stopping(500);
      assert.ok(stoppedAt - began < 3_000, `stopped ${Math.round(stoppedAt - began)} ms after it began`);
      await closed;
      await env.mock.waitForSockets((s) => s[0].closed, 2_000);
    });
  });
});

/** A WebSocket client that completes the handshake and then never writes again (it never answers a close). */
async function rawSocket(port: number): Promise<net.Socket> {
  const socket = net.connect({ host: '127.0.0.1', port, localAddress: '127.0.0.2' });
  socket.on('error', () => {});
  await new Promise((resolve) => socket.once('connect', resolve));
  const key = crypto.randomBytes(16).toString('base64');
  socket.write(`GET /v1/responses HTTP/1.1\r\nHost: ${LLM}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: ${key}\r\n\r\n`);
  const head = await new Promise<string>((resolve) => socket.once('data', (d: Buffer) => resolve(d.toString('latin1'))));
  assert.match(head, /^HTTP\/1\.1 101 /);
  socket.on('data', () => {}); // read and ignored: the close frame is never answered
  return socket;
}
