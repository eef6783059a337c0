// Issue 16.2: the operator's acceptance mix. After streamed and plain requests, a WebSocket turn,
// one request refused for scope (403) and one for spent credits (402), /metrics parses as
// Prometheus text; the request counters sum to what was sent, the token and cost counters equal
// what "usage --json" shows, each refusal counts once, histograms have buckets; SSH logins count
// by outcome. Labels never carry a user, VM, key or client-sent value.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import ssh2 from 'ssh2';
import type WebSocket from 'ws';
import { framesUntil, openSocket } from '../helpers/websocket.js';
import type { KeyPair } from '../helpers/ssh.js';
import { closeAgents, ok, okJson, send, startWorld, until, userWithVm, type World } from '../metering/helpers.js';
import { scrape, type Exposition } from './promText.js';

const ANTHROPIC = { 'anthropic-version': '2023-06-01' };
const scenario = (usage: object) => ({ 'x-mock-scenario': JSON.stringify({ usage }) });
const host = (port: number) => ({ host: `llm.int.gatehouse.localhost:${port}` });

describe('issue 16.2: gateway and SSH metrics after a known mix of requests', () => {
  let world: World;
  let alice: KeyPair;
  let metrics: Exposition;
  let usage: any;
  /** HTTP requests the gateway answered (the WebSocket upgrade is one). */
  let sent = 0;

  before(async () => {
    // 0.05 USD: the stream, the chat call and the turn fit; the 2000-token call spends past zero.
    world = await startWorld({ GATEHOUSE_MONTHLY_CREDITS: '0.05' });
    alice = await userWithVm(world.gh, 'alice', '127.0.0.2', 'devbox');
    const port = world.gh.gatewayPort;
    const call = async (path: string, body: unknown, headers: Record<string, string>, status: number, from?: string) => {
      const r = await send(port, path, body, { headers, from });
      sent++;
      assert.equal(r.status, status, r.body);
      assert.ok(r.headers['x-gatehouse-request-id']);
      return r;
    };
    const opus = (extra: object = {}) => ({ model: 'claude-opus-5-5', max_tokens: 4000, messages: [{ role: 'user', content: 'hi' }], ...extra });
    const streamed = await call('/gateway/llm/anthropic/v1/messages', opus({ stream: true }), { ...ANTHROPIC, ...scenario({ input: 14, cacheWrite: 3210, cacheRead: 20480, output: 87 }) }, 200);
    assert.match(streamed.body, /event: message_stop/);
    await call('/gateway/llm/openai/v1/chat/completions', { model: 'gpt-5.5', messages: [] }, scenario({ input: 200, output: 10 }), 200);
    await call('/v1/models', undefined, host(port), 200);

    const ws: WebSocket = await openSocket(`ws://127.0.0.1:${port}/v1/responses`, { localAddress: '127.0.0.2', headers: { ...host(port), ...scenario({ input: 7, output: 3 }) } });
    sent++;
    const frames = framesUntil(ws, (f) => f.type === 'response.completed' || f.type === 'error');
    ws.send(JSON.stringify({ type: 'response.create', model: 'gpt-5.5', input: 'hi' }));
    assert.equal((await frames).at(-1).type, 'response.completed');
    ws.close();

    await call('/gateway/llm/anthropic/v1/messages', opus(), { ...ANTHROPIC, ...scenario({ input: 0, output: 2000 }) }, 200);
    await call('/gateway/llm/anthropic/v1/messages', opus(), ANTHROPIC, 402);
    const key = (await okJson(world.gh.sshPort, alice, "keys create --name gpt-only --models 'gpt-*'")).key;
    await call('/gateway/llm/anthropic/v1/messages', opus(), { ...ANTHROPIC, authorization: `Bearer ${key}` }, 403, '127.0.0.1');
    await refusedLogin(world.gh.sshPort);

    usage = await okJson(world.gh.sshPort, alice, 'usage');
    // The last request's count lands once its response has closed on the server: wait for it.
    metrics = await until(async () => {
      const m = await scrape(world.gh.adminPort);
      return m.sum('gatehouse_gateway_requests_total') >= sent && m.sum('gatehouse_gateway_websocket_turns_total') >= 1 && m;
    }, 'every request counted');
  });
  after(async () => {
    closeAgents();
    await world.stop();
  });

  it('issue 16.2: the request counters sum to the requests sent, by status class', () => {
    assert.equal(metrics.types.get('gatehouse_gateway_requests_total'), 'counter');
    assert.equal(metrics.sum('gatehouse_gateway_requests_total'), sent);
    assert.equal(metrics.sum('gatehouse_gateway_requests_total', { status_class: '2xx' }), 4);
    assert.equal(metrics.sum('gatehouse_gateway_requests_total', { status_class: '1xx' }), 1, 'the WebSocket upgrade');
    assert.equal(metrics.sum('gatehouse_gateway_requests_total', { status_class: '4xx' }), 2);
    // Two answered, one 402; the 403 was refused while planning, before a provider was chosen.
    assert.equal(metrics.sum('gatehouse_gateway_requests_total', { provider: 'anthropic', model: 'claude-opus-5-5', source: 'gateway', api: 'messages' }), 3);
    assert.equal(metrics.sum('gatehouse_gateway_requests_total', { provider: 'none', model: 'none', status_class: '4xx' }), 1);
    assert.equal(metrics.sum('gatehouse_gateway_requests_total', { provider: 'openai', model: 'gpt-5.5', api: 'chat' }), 1);
    assert.equal(metrics.sum('gatehouse_gateway_requests_total', { api: 'models', model: 'none' }), 1);
  });

  it('issue 16.2: token and cost counters equal the totals of "usage --json"', () => {
    const t = usage.total;
    assert.equal(t.requests, 4, JSON.stringify(usage)); // the stream, the chat call, the turn, the 2000-token call
    assert.equal(metrics.sum('gatehouse_gateway_tokens_total', { type: 'input' }), t.input_tokens);
    assert.equal(metrics.sum('gatehouse_gateway_tokens_total', { type: 'output' }), t.output_tokens);
    assert.equal(metrics.sum('gatehouse_gateway_tokens_total', { type: 'cache_read' }), t.cache_read_tokens);
    assert.equal(metrics.sum('gatehouse_gateway_tokens_total', { type: 'cache_write' }), t.cache_write_tokens);
    assert.ok(Math.abs(metrics.sum('gatehouse_gateway_cost_usd_total') - t.cost_micros / 1e6) < 1e-9, `${metrics.sum('gatehouse_gateway_cost_usd_total')} vs ${t.cost_micros}`);
    assert.ok(t.cost_micros > 50_000, 'the credits were spent');
  });

  it('issue 16.2: each refusal counts once, by code and status; upstream errors are not refusals', () => {
    assert.deepEqual(
      metrics.find('gatehouse_gateway_refusals_total').map((s) => [s.labels.code, s.labels.status, s.value]).sort(),
      [
        ['forbidden', '403', 1],
        ['payment_required', '402', 1],
      ],
    );
    assert.equal(metrics.sum('gatehouse_gateway_upstream_errors_total'), 0);
  });

  it('issue 16.2: duration and time-to-first-byte histograms have buckets, _sum and _count', () => {
    for (const name of ['gatehouse_gateway_request_duration_seconds', 'gatehouse_gateway_time_to_first_byte_seconds']) {
      assert.equal(metrics.types.get(name), 'histogram');
      assert.ok(metrics.find(`${name}_bucket`, { le: '+Inf' }).length > 0, name);
      assert.ok(metrics.find(`${name}_sum`).length > 0, name);
    }
    // Every request and turn has a duration; the forwarded ones (3 HTTP, 1 turn) a first byte.
    assert.equal(metrics.sum('gatehouse_gateway_request_duration_seconds_count'), sent + 1);
    assert.equal(metrics.sum('gatehouse_gateway_time_to_first_byte_seconds_count'), 4);
  });

  it('issue 16.2: the WebSocket turn is counted, with its tokens in the shared counters', () => {
    assert.equal(metrics.sum('gatehouse_gateway_websocket_turns_total', { provider: 'openai', model: 'gpt-5.5', source: 'gateway', status_class: '2xx' }), 1);
    assert.equal(metrics.sum('gatehouse_gateway_tokens_total', { model: 'gpt-5.5', type: 'input' }), 207);
  });

  it('issue 16.2: SSH logins by outcome; build info; the process defaults', () => {
    assert.equal(metrics.sum('gatehouse_ssh_logins_total', { outcome: 'signup' }), 1);
    assert.equal(metrics.sum('gatehouse_ssh_logins_total', { outcome: 'refused' }), 1);
    assert.ok(metrics.sum('gatehouse_ssh_logins_total', { outcome: 'ok' }) >= 3);
    assert.equal(metrics.find('gatehouse_build_info')[0].labels.node, process.version);
    assert.ok(metrics.types.has('nodejs_eventloop_lag_p99_seconds'));
    assert.ok(metrics.types.has('process_cpu_user_seconds_total'));
    for (const gauge of ['gatehouse_gateway_requests_in_flight', 'gatehouse_usage_queue_depth', 'gatehouse_ssh_sessions_open']) assert.equal(metrics.types.get(gauge), 'gauge', gauge);
  });

  it('issue 16.2: no label carries a user, VM, key or client-sent value', () => {
    const values = metrics.samples.flatMap((s) => Object.values(s.labels));
    for (const secretish of ['alice', 'devbox', 'gpt-only', 'gk_', '127.0.0']) assert.ok(!values.some((v) => v.includes(secretish)), secretish);
  });

  it('issue 16.2: a second scrape adds nothing when nothing happened (counts flushed once)', async () => {
    const again = await scrape(world.gh.adminPort);
    assert.equal(again.sum('gatehouse_gateway_requests_total'), sent);
    assert.equal(again.sum('gatehouse_gateway_tokens_total'), metrics.sum('gatehouse_gateway_tokens_total'));
  });
});

/** An SSH attempt with a password: refused (the one counted refusal). */
function refusedLogin(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const client = new ssh2.Client();
    const timer = setTimeout(() => reject(new Error('deadline: refused login')), 5000);
    client.on('ready', () => reject(new Error('a password login was accepted')));
    client.on('error', () => {
      clearTimeout(timer);
      client.end();
      resolve();
    });
    client.connect({ host: '127.0.0.1', port, username: 'mallory', password: 'hunter2', tryKeyboard: false });
  });
}
