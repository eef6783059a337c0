// Issue 16.3: each gateway request has exactly one `gateway request` line, whose request_id is the
// x-gatehouse-request-id header the client got: answered, streamed, refused, cut mid-stream by the
// client, failed upstream, a refused WebSocket upgrade; each WebSocket turn one `gateway turn`
// line. With GATEHOUSE_METERING=off the line and the count still happen, without tokens.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type WebSocket from 'ws';
import type { TestGatehouse } from '../helpers/gatehouse.js';
import { framesUntil, openSocket, type Refusal } from '../helpers/websocket.js';
import type { KeyPair } from '../helpers/ssh.js';
import { closeAgents, ok, okJson, send, startWorld, until, userWithVm, type World } from '../metering/helpers.js';
import { scrape } from './promText.js';

const ANTHROPIC = { 'anthropic-version': '2023-06-01' };
const scenario = (s: object) => ({ 'x-mock-scenario': JSON.stringify(s) });
const OPUS = { model: 'claude-opus-5-5', max_tokens: 100, messages: [{ role: 'user', content: 'hi' }] };
const host = (port: number) => ({ host: `llm.int.gatehouse.localhost:${port}` });

/** The parsed `msg` lines of the log, every line checked to be one JSON object. */
function lines(gh: TestGatehouse, msg: string): any[] {
  return gh.rawLog.map((l) => JSON.parse(l)).filter((o) => o.msg === msg);
}

/** The one `gateway request` line of this id, once it is written (the response's close comes after the client's end). */
async function lineOf(gh: TestGatehouse, id: string, msg = 'gateway request'): Promise<any> {
  const found = await until(() => {
    const l = lines(gh, msg).filter((o) => o.request_id === id);
    return l.length > 0 && l;
  }, `a ${msg} line for ${id}`);
  assert.equal(found.length, 1, `exactly one line for ${id}`);
  return found[0];
}

describe('issue 16.3: one gateway request line per request, carrying its request id', () => {
  let world: World;
  let alice: KeyPair;

  before(async () => {
    world = await startWorld();
    alice = await userWithVm(world.gh, 'alice', '127.0.0.2', 'devbox');
  });
  after(async () => {
    closeAgents();
    await world.stop();
  });

  it('issue 16.3: an answered request: caller, user, integration, provider, model, status, durations, tokens, cost', async () => {
    const r = await send(world.gh.gatewayPort, '/gateway/llm/anthropic/v1/messages', { ...OPUS, stream: true }, { headers: { ...ANTHROPIC, ...scenario({ usage: { input: 10, output: 20, cacheRead: 3, cacheWrite: 4 } }) } });
    assert.equal(r.status, 200);
    const line = await lineOf(world.gh, String(r.headers['x-gatehouse-request-id']));
    assert.equal(line.level, 'info');
    assert.equal(line.component, 'gateway');
    assert.deepEqual(
      { caller: line.caller, integration: line.integration, provider: line.provider, model: line.model, source: line.source, api: line.api, status: line.status, method: line.method, path: line.path },
      { caller: 'vm:devbox', integration: 'llm', provider: 'anthropic', model: 'claude-opus-5-5', source: 'gateway', api: 'messages', status: 200, method: 'POST', path: '/gateway/llm/anthropic/v1/messages' },
    );
    assert.match(line.user, /^\d+$/);
    assert.deepEqual(line.tokens, { input: 10, output: 20, cache_read: 3, cache_write: 4 });
    assert.equal(line.cost_usd, 461 / 1e6); // 10×4 + 20×20 + 3×0.2 + 4×5 = 460.6 micros, booked as 461
    assert.ok(line.duration_ms >= 0 && line.ttfb_ms >= 0 && line.ttfb_ms <= line.duration_ms + 1, JSON.stringify(line));
    assert.equal(line.refusal, undefined);
  });

  it('issue 16.3: refused requests (401 unknown VM, 404, 403 by an API key) have one line each with the refusal code', async () => {
    const unknown = await send(world.gh.gatewayPort, '/gateway/llm/anthropic/v1/messages', OPUS, { from: '127.0.0.9', headers: ANTHROPIC });
    const missing = await send(world.gh.gatewayPort, '/gateway/nope/anthropic/v1/messages?key=sk-in-the-query', OPUS, { headers: ANTHROPIC });
    const key = (await okJson(world.gh.sshPort, alice, "keys create --name gpt-only --models 'gpt-*'")).key;
    const scoped = await send(world.gh.gatewayPort, '/gateway/llm/anthropic/v1/messages', OPUS, { from: '127.0.0.1', headers: { ...ANTHROPIC, authorization: `Bearer ${key}` } });
    assert.deepEqual([unknown.status, missing.status, scoped.status], [401, 404, 403]);
    const [a, b, c] = await Promise.all([unknown, missing, scoped].map((r) => lineOf(world.gh, String(r.headers['x-gatehouse-request-id']))));
    assert.deepEqual([a.refusal, a.status, a.caller], ['unauthenticated', 401, undefined]);
    assert.deepEqual([b.refusal, b.status, b.path], ['not_found', 404, '/gateway/nope/anthropic/v1/messages'], 'the query is not logged');
    assert.deepEqual([c.refusal, c.status, c.caller], ['forbidden', 403, 'key:gpt-only']);
  });

  it('issue 16.3: a client that leaves mid-stream: one line, with what was metered', async () => {
    const before = world.mock.requests.length;
    const r = await send(world.gh.gatewayPort, '/gateway/llm/anthropic/v1/messages', { ...OPUS, stream: true }, {
      headers: { ...ANTHROPIC, ...scenario({ usage: { input: 5, output: 50 }, chunks: 20, chunkDelayMs: 100 }) },
      abortAfterBytes: 1,
    });
    await world.mock.waitFor((reqs) => reqs.length > before && reqs[before].aborted, 5000);
    const line = await lineOf(world.gh, String(r.headers['x-gatehouse-request-id']));
    assert.equal(line.status, 200, 'the status the client was sent');
    assert.ok(line.tokens, 'the metered tokens are on the line');
    assert.equal(line.upstream_error, undefined, 'the client left; upstream did not fail');
  });

  it('issue 16.3: an upstream 529 and an upstream cut mid-stream are upstream errors, not refusals', async () => {
    const overloaded = await send(world.gh.gatewayPort, '/gateway/llm/anthropic/v1/messages', OPUS, { headers: { ...ANTHROPIC, ...scenario({ error: { status: 529, body: { type: 'error', error: { type: 'overloaded_error', message: 'busy' } } } }) } });
    assert.equal(overloaded.status, 529);
    const cut = await send(world.gh.gatewayPort, '/gateway/llm/anthropic/v1/messages', { ...OPUS, stream: true }, { headers: { ...ANTHROPIC, ...scenario({ usage: { input: 1, output: 9 }, chunks: 5, chunkDelayMs: 50, resetAfterChunk: 2 }) } });
    const [o, c] = await Promise.all([overloaded, cut].map((r) => lineOf(world.gh, String(r.headers['x-gatehouse-request-id']))));
    assert.deepEqual([o.status, o.upstream_error, o.refusal], [529, 'status_5xx', undefined]);
    assert.deepEqual([c.status, c.upstream_error, c.refusal], [200, 'midstream_lost', undefined]);
    const m = await scrape(world.gh.adminPort);
    assert.equal(m.sum('gatehouse_gateway_upstream_errors_total', { provider: 'anthropic', kind: 'status_5xx' }), 1);
    assert.equal(m.sum('gatehouse_gateway_upstream_errors_total', { provider: 'anthropic', kind: 'midstream_lost' }), 1);
  });

  it('issue 16.3: a WebSocket turn has a gateway turn line of its own; a refused upgrade one gateway request line with the id it was answered with', async () => {
    const port = world.gh.gatewayPort;
    const ws: WebSocket = await openSocket(`ws://127.0.0.1:${port}/v1/responses`, { localAddress: '127.0.0.2', headers: { ...host(port), ...scenario({ usage: { input: 7, output: 3 } }) } });
    const frames = framesUntil(ws, (f) => f.type === 'response.completed' || f.type === 'error');
    ws.send(JSON.stringify({ type: 'response.create', model: 'gpt-5.5', input: 'hi' }));
    const completed = (await frames).at(-1);
    assert.equal(completed.type, 'response.completed');
    ws.close();
    const turns = await until(() => lines(world.gh, 'gateway turn').length > 0 && lines(world.gh, 'gateway turn'), 'a turn line');
    assert.equal(turns.length, 1);
    assert.deepEqual([turns[0].provider, turns[0].model, turns[0].status, turns[0].api], ['openai', 'gpt-5.5', 200, 'responses']);
    assert.deepEqual(turns[0].tokens, { input: 7, output: 3, cache_read: 0, cache_write: 0 });

    const refused = await openSocket(`ws://127.0.0.1:${port}/v1/messages`, { localAddress: '127.0.0.2', headers: host(port) }).then(
      () => assert.fail('upgrade accepted'),
      (err: Refusal) => err,
    );
    assert.equal(refused.status, 426);
    const upgrades = lines(world.gh, 'gateway request').filter((o) => o.status === 426);
    assert.equal(upgrades.length, 1);
    assert.equal(upgrades[0].refusal, 'upgrade_required');
    assert.match(upgrades[0].request_id, /^[0-9a-f-]{36}$/);
  });

  it('issue 16.2: a hostile model name (byok, not in the catalog) is "other" in the line and the labels; /metrics still parses', async () => {
    await ok(world.gh.sshPort, alice, 'integrations add llm --name own --anthropic=byok --anthropic-key=- --attach vm:devbox', 'sk-ant-alice-own-0001');
    const evil = `evil"model\\n{le="1"}\n${'x'.repeat(200)}`;
    const r = await send(world.gh.gatewayPort, '/v1/messages', { ...OPUS, model: evil }, { headers: { ...ANTHROPIC, host: `own.int.gatehouse.localhost:${world.gh.gatewayPort}` } });
    assert.equal(r.status, 200, r.body);
    const line = await lineOf(world.gh, String(r.headers['x-gatehouse-request-id']));
    assert.deepEqual([line.model, line.source, line.integration], ['other', 'byok', 'own']);
    const m = await until(async () => {
      const e = await scrape(world.gh.adminPort);
      return e.sum('gatehouse_gateway_requests_total', { model: 'other', source: 'byok' }) === 1 && e;
    }, 'the request counted as model "other"');
    assert.ok(!m.samples.some((s) => Object.values(s.labels).some((v) => v.includes('evil'))), 'no client value in a label');
  });

  it('issue 16.3: every line the log wrote is one JSON object', () => {
    for (const line of world.gh.rawLog) assert.doesNotThrow(() => JSON.parse(line), line);
  });
});

describe('issue 16.3: GATEHOUSE_METERING=off still logs and counts each request, without tokens', () => {
  let world: World;

  before(async () => {
    world = await startWorld({ GATEHOUSE_METERING: 'off' });
    await userWithVm(world.gh, 'alice', '127.0.0.2', 'devbox');
  });
  after(async () => {
    closeAgents();
    await world.stop();
  });

  it('issue 16.3: metering off: one line with status and durations, no tokens; the request is counted', async () => {
    const r = await send(world.gh.gatewayPort, '/gateway/llm/anthropic/v1/messages', OPUS, { headers: { ...ANTHROPIC, ...scenario({ usage: { input: 10, output: 20 } }) } });
    assert.equal(r.status, 200);
    const line = await lineOf(world.gh, String(r.headers['x-gatehouse-request-id']));
    assert.deepEqual([line.status, line.model, line.tokens, line.cost_usd], [200, 'claude-opus-5-5', undefined, undefined]);
    assert.ok(line.ttfb_ms >= 0);
    const m = await until(async () => {
      const e = await scrape(world.gh.adminPort);
      return e.sum('gatehouse_gateway_requests_total') === 1 && e;
    }, 'the request counted');
    assert.equal(m.sum('gatehouse_gateway_tokens_total'), 0);
  });
});
