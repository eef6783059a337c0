// Issue 14.6: removal mid-stream. A stream through the team's integration that is in flight when
// its member is removed may finish (and is metered, to the team, with what it carried); the next
// request is refused. On a Responses WebSocket the next turn is refused and the socket closed.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { pollUntil } from '../fleet/fleet.js';
import { ANTHROPIC_BODY, collect, open, parseSse } from '../helpers/gateway.js';
import { DATABASES } from '../helpers/databases.js';
import { framesUntil, next, openSocket } from '../helpers/websocket.js';
import { usageRows } from '../metering/helpers.js';
import { startTeamEnv, teamHost, VM, type TeamEnv } from './helpers.js';

const ANTHROPIC = { 'anthropic-version': '2023-06-01' };
const POOLED = teamHost('pooled');
const sse = (event: string, data: object) => `event: ${event}\ndata: ${JSON.stringify({ type: event, ...data })}\n\n`;
const START = sse('message_start', { message: { id: 'msg_1', type: 'message', role: 'assistant', model: 'claude-sonnet-5-5', content: [], usage: { input_tokens: 1000, output_tokens: 1 } } });
const DELTA = sse('content_block_delta', { index: 0, delta: { type: 'text_delta', text: 'Hello' } });
const END = sse('message_delta', { delta: { stop_reason: 'end_turn' }, usage: { output_tokens: 200 } }) + sse('message_stop', {});

for (const database of DATABASES) describe(`removal mid-stream (issue 14.6) on ${database.name}`, () => {
  let env: TeamEnv;
  const messages = (stream = false) => env.request({ from: VM.bobDev, host: POOLED, path: '/v1/messages', headers: ANTHROPIC, body: { ...ANTHROPIC_BODY, stream } });

  before(async () => {
    env = await startTeamEnv(database);
    await env.ok(env.alice, 'team create acme');
    await env.ok(env.alice, 'integrations add llm --name pooled --team --anthropic=gateway --openai=gateway --attach tag:dev');
  });
  after(() => env?.stop());

  it('the SSE stream in flight finishes whole and is charged to the team; the next request is refused', async () => {
    await env.ok(env.alice, 'team add bob');
    assert.equal((await messages()).status, 200);
    let release = () => {};
    const released = new Promise<void>((resolve) => (release = resolve));
    env.mock.setHandler(async (ctx) => {
      ctx.res.writeHead(200, { 'content-type': 'text/event-stream' });
      ctx.res.write(START + DELTA);
      await released;
      ctx.res.end(END);
      return true;
    });
    const { req, res } = await open(env.port, { from: VM.bobDev, host: POOLED, path: '/v1/messages', headers: ANTHROPIC, body: { ...ANTHROPIC_BODY, stream: true } });
    const replied = collect(res, req);
    await new Promise<void>((resolve) => res.once('data', () => resolve()));

    await env.ok(env.alice, 'team remove bob');
    assert.equal((await messages()).status, 403);
    release();
    const reply = await replied;
    assert.equal(reply.status, 200);
    assert.ok(reply.ended, 'the stream ends properly');
    assert.deepEqual(parseSse(reply.text).map((e) => e.event), ['message_start', 'content_block_delta', 'message_delta', 'message_stop']);
    env.mock.setHandler(undefined);

    let row: any;
    await pollUntil(5000, async () => {
      row = (await usageRows(env.gh)).find((r) => r.request_id === reply.headers['x-gatehouse-request-id']);
      return row !== undefined || 'no row yet';
    });
    assert.equal(row.status, 200);
    assert.equal(row.output_tokens, 200);
    assert.ok(Number(row.cost_micros) > 0);
    assert.notEqual(row.team_id, null, 'charged to the team it was admitted for');
    const refused = await messages(true);
    assert.equal(refused.status, 403);
    assert.match(refused.json().error.message, /^you are not in a team/);
  });

  it('a Responses WebSocket open when the member is removed (its turn charged to the team): the next turn gets an error frame and the socket closes (1008)', async () => {
    await env.ok(env.alice, 'team add bob');
    assert.equal((await messages()).status, 200);
    const ws = await openSocket(`ws://127.0.0.1:${env.port}/v1/responses`, { localAddress: VM.bobDev, headers: { 'openai-beta': 'responses_websockets=2026-02-06', host: POOLED } });
    const first = framesUntil(ws, 'response.completed');
    ws.send(JSON.stringify({ type: 'response.create', model: 'gpt-5.5', input: 'hi' }));
    const turn = (await first).find((f) => f.type === 'response.completed');
    await pollUntil(5000, async () => {
      const row = (await usageRows(env.gh)).find((r) => r.api === 'responses' && r.vm_name === 'bob-dev');
      return (row !== undefined && row.team_id !== null && Number(row.cost_micros) > 0) || `no team row for ${turn?.response?.id}`;
    });
    await env.ok(env.alice, 'team remove bob');
    assert.equal((await messages()).status, 403);
    const upstreamFrames = env.mock.sockets[0].frames.length;
    const refusal = framesUntil(ws, 'error');
    const closed = next<[number]>(ws, 'close');
    ws.send(JSON.stringify({ type: 'response.create', model: 'gpt-5.5', input: 'again' }));
    const [frame] = await refusal;
    assert.equal(frame.status, 403);
    assert.match(frame.error.message, /^you are not in a team/);
    assert.equal((await closed)[0], 1008);
    assert.equal(env.mock.sockets[0].frames.length, upstreamFrames, 'the refused turn never went upstream');
  });
});
