// issue 11.5: a restart does not cut the streams in flight. `gatehouse serve` runs as a child
// process, as an operator runs it; the VM's streams come from 127.0.0.2, its upstream is the mock.
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, beforeEach, describe, it } from 'node:test';
import { startMockProvider, type MockProvider } from '../fixtures/mockProvider.js';
import { ANTHROPIC_BODY, BASE_PATH, collect, intHost, open, parseSse, type Reply } from '../helpers/gateway.js';
import { killServed, serve, type Served } from '../helpers/serve.js';
import { exec, signUp } from '../helpers/ssh.js';
import { framesUntil, next, openSocket } from '../helpers/websocket.js';

const LLM = intHost('llm');
const STREAMS = 100;

let mock: MockProvider;
/** What the mock wrote for each request, by its index (the client sees it as x-mock-request-index). */
let sent: string[];

before(async () => (mock = await startMockProvider({ basePath: BASE_PATH })));
after(async () => {
  killServed();
  await mock.close();
});
beforeEach(() => {
  mock.reset();
  sent = [];
  mock.setHandler((ctx) => {
    const parts: string[] = [];
    sent[ctx.record.index] = '';
    const { write, end } = ctx.res as unknown as Record<'write' | 'end', (...args: unknown[]) => unknown>;
    const keep = (chunk: unknown) => {
      if (chunk !== undefined && typeof chunk !== 'function') parts.push(String(chunk));
      sent[ctx.record.index] = parts.join('');
    };
    ctx.res.write = ((...args: unknown[]) => (keep(args[0]), write.apply(ctx.res, args))) as never;
    ctx.res.end = ((...args: unknown[]) => (keep(args[0]), end.apply(ctx.res, args))) as never;
    return false; // the provider mock answers as usual
  });
});

/** A gatehouse with alice and her VM at 127.0.0.2, registered over SSH. */
async function served(env: Record<string, string>, flags: string[] = []): Promise<Served> {
  const s = await serve(mock.url, env, flags);
  const alice = await signUp(s.sshPort, 'alice', 'alice@example.com');
  const r = await exec(s.sshPort, alice, 'new --name alice-box --address 127.0.0.2');
  assert.equal(r.code, 0, r.stderr);
  return s;
}

/** Opens `n` paced Anthropic streams from the VM; resolves once every one has its headers. */
async function streams(s: Served, n: number, scenario: object): Promise<Promise<Reply>[]> {
  const opened = await Promise.all(
    Array.from({ length: n }, () => open(s.gatewayPort, { path: '/v1/messages', host: LLM, body: { ...ANTHROPIC_BODY, stream: true }, headers: { 'x-mock-scenario': JSON.stringify(scenario) } })),
  );
  for (const { res } of opened) assert.equal(res.statusCode, 200);
  return opened.map(({ req, res }) => collect(res, req));
}

function connectRefused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port, localAddress: '127.0.0.2' });
    socket.once('connect', () => (socket.destroy(), resolve(false)));
    socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'ECONNREFUSED'));
  });
}

function requestIds(replies: Reply[]): string[] {
  return replies.map((r) => String(r.headers['x-gatehouse-request-id']));
}

async function assertMetered(s: Served, replies: Reply[]): Promise<void> {
  const rows = new Map((await s.usageRows()).map((r) => [r.request_id, r]));
  for (const id of requestIds(replies)) assert.ok(rows.has(id), `a usage row for request ${id}`);
}

describe('serve drains on SIGTERM', () => {
  it(`issue 11.5: SIGTERM with ${STREAMS} paced streams in flight: every stream completes whole, each is metered, exit 0 within the drain`, async (t) => {
    const drainMs = 20_000;
    const s = await served({ GATEHOUSE_DRAIN_MS: String(drainMs) });
    // A kept-alive idle connection, and one connected but silent (its request comes during the drain).
    const idle = net.connect({ host: '127.0.0.1', port: s.gatewayPort, localAddress: '127.0.0.2' });
    const idleClosed = new Promise((resolve) => idle.once('close', resolve));
    idle.on('error', () => {});
    idle.write(`GET /api/hello HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
    await new Promise((resolve) => idle.once('data', resolve));
    const silent = net.connect({ host: '127.0.0.1', port: s.gatewayPort, localAddress: '127.0.0.2' });
    let silentText = '';
    silent.on('data', (d) => (silentText += d));
    const silentClosed = new Promise((resolve) => silent.once('close', resolve));
    await new Promise((resolve) => silent.once('connect', resolve));

    const pending = await streams(s, STREAMS, { chunks: 50, chunkDelayMs: 100 }); // 5 s each
    const signalled = performance.now();
    s.child.kill('SIGTERM');
    await s.waitFor(new RegExp(`draining: ${STREAMS} gateway requests in flight`));
    assert.ok(await connectRefused(s.gatewayPort), 'new gateway connections are refused during the drain');
    assert.ok(await connectRefused(s.sshPort), 'new SSH connections are refused during the drain');
    await idleClosed; // an idle keep-alive connection is closed when the drain starts
    silent.write(`GET /api/hello HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
    await silentClosed;
    assert.match(silentText, /^HTTP\/1\.1 200 [\s\S]*connection: close/i, 'a request during the drain is answered, with connection: close');

    const replies = await Promise.all(pending);
    const { code, at } = await s.exited;
    assert.equal(code, 0, s.stderr());
    assert.ok(at - signalled < drainMs, `exited ${Math.round(at - signalled)} ms after SIGTERM, within the ${drainMs} ms drain`);
    t.diagnostic(`exited ${Math.round(at - signalled)} ms after SIGTERM`);
    for (const r of replies) {
      assert.ok(r.ended, 'the stream ended normally');
      assert.equal(r.text, sent[Number(r.headers['x-mock-request-index'])], 'the client got exactly what the mock sent');
      assert.equal(parseSse(r.text).at(-1)?.event, 'message_stop');
    }
    assert.equal(mock.requests.filter((r) => r.completed).length, STREAMS);
    await assertMetered(s, replies);
    assert.match(s.stdout() + s.stderr(), /("signal":"SIGTERM".*signal received, shutting down|signal received, shutting down.*"signal":"SIGTERM")[\s\S]*\bstopped\b/);
  });

  it('issue 11.5: streams that outlive a short drain (--drain-ms 500) are ended, metered, and the process exits 0 promptly', async (t) => {
    const s = await served({}, ['--drain-ms', '500']);
    const pending = await streams(s, 20, { chunks: 200, chunkDelayMs: 50 });
    const signalled = performance.now();
    s.child.kill('SIGTERM');
    await s.waitFor(/draining: 20 gateway requests in flight, waiting up to 500 ms/);
    const replies = await Promise.all(pending);
    const { code, at } = await s.exited;
    assert.equal(code, 0, s.stderr());
    assert.ok(at - signalled < 5_000, `exited ${Math.round(at - signalled)} ms after SIGTERM`);
    t.diagnostic(`exited ${Math.round(at - signalled)} ms after SIGTERM`);
    for (const r of replies) assert.notEqual(parseSse(r.text).at(-1)?.event, 'message_stop', 'the stream was ended before its end');
    await assertMetered(s, replies);
  });

  it('issue 15: SIGTERM with a relayed Responses WebSocket mid-turn and one idle: the idle one gets 1001 at once, the other its whole turn (metered) then 1001; exit 0', async () => {
    const s = await served({ GATEHOUSE_DRAIN_MS: '20000' });
    mock.setScenario({ chunks: 30, chunkDelayMs: 50 }); // about 1.5 s
    const socket = () => openSocket(`ws://127.0.0.1:${s.gatewayPort}/v1/responses`, { localAddress: '127.0.0.2', headers: { host: LLM } });
    const [busy, idle] = [await socket(), await socket()];
    const turn = framesUntil(busy, 'response.completed');
    const first = framesUntil(busy, 'response.output_text.delta');
    busy.send(JSON.stringify({ type: 'response.create', model: 'gpt-5.5', input: 'long' }));
    await first;
    const [busyClosed, idleClosed] = [next<[number, Buffer]>(busy, 'close', 10_000), next<[number, Buffer]>(idle, 'close', 10_000)];
    s.child.kill('SIGTERM');
    await s.waitFor(/draining: 2 gateway requests in flight/);
    assert.equal((await idleClosed)[0], 1001);
    assert.equal((await turn).at(-1).type, 'response.completed', 'the turn in flight completed');
    const [code, reason] = await busyClosed;
    assert.deepEqual([code, reason.toString()], [1001, 'gatehouse is shutting down']);
    assert.equal((await s.exited).code, 0, s.stderr());
    assert.ok(mock.sockets.every((x) => x.closed), 'both upstream sockets are closed');
    assert.deepEqual((await s.usageRows()).map((r) => r.status), [200], 'one row: the turn (this gatehouse served nothing else)');
  });

  it('issue 11.5: a second SIGTERM or SIGINT during the drain stops at once (exit 128 + signal)', async (t) => {
    for (const [second, status] of [['SIGTERM', 143], ['SIGINT', 130]] as const) {
      const s = await served({ GATEHOUSE_DRAIN_MS: '30000' });
      const pending = await streams(s, 10, { chunks: 200, chunkDelayMs: 100 });
      s.child.kill('SIGTERM');
      await s.waitFor(/draining: 10 gateway requests in flight/);
      const signalled = performance.now();
      s.child.kill(second);
      const { code, at } = await s.exited;
      assert.equal(code, status, s.stderr());
      assert.ok(at - signalled < 2_000, `exited ${Math.round(at - signalled)} ms after the second signal`);
      t.diagnostic(`${second}: exited ${code} ${Math.round(at - signalled)} ms after the second signal`);
      const replies = await Promise.all(pending);
      for (const r of replies) assert.notEqual(parseSse(r.text).at(-1)?.event, 'message_stop');
      await assertMetered(s, replies);
    }
  });
});
