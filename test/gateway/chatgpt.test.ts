// Issue 13 (research §2.5, §2.7): an integration whose OpenAI source is a ChatGPT account, end to end
// over real sockets as a new user would use it: connect the account (the device flow against the
// mock ChatGPT), add the integration over SSH, then from the VM plain HTTP and the OpenAI SDK. The
// backend gets the account's token and id, never the VM's; usage is metered at cost 0; what the
// backend cannot serve is a clear 400; a refresh happens once for many callers; a revoked login
// tells the VM what its owner must run; no token ever reaches the VM.
import OpenAI from 'openai';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type Agent, fetch as undiciFetch } from 'undici';
import { startMockChatgpt, usageLimitReached, type MockChatgpt } from '../fixtures/mockChatgpt.js';
import { chatgptEnv, chatgptService, connectAccount, type ChatgptService } from '../helpers/chatgpt.js';
import { intHost, startGatewayEnv, type GatewayEnv, type Reply, type Req } from '../helpers/gateway.js';
import { readResponsesStream, vmDispatcher } from '../helpers/sdk.js';
import { usageRows } from '../metering/helpers.js';
import { ResponseCollector } from '../../src/gateway/collect.js';

const HOST = intHost('chatgpt-llm');
const VM_SECRET = 'Bearer vm-own-secret-key-0001';
const WORK = { email: 'work@example.com', plan: 'plus', accountId: 'acct-work' };

let env: GatewayEnv;
let gpt: MockChatgpt;
let svc: ChatgptService;
let alice: number;
const agents: Agent[] = [];
/** Every answer the VM got: no token may ever be in one. */
const seen: string[] = [];

async function call(r: Req): Promise<Reply> {
  const reply = await env.request({ host: HOST, ...r, headers: { authorization: VM_SECRET, ...r.headers } });
  seen.push(JSON.stringify(reply.headers), reply.text);
  return reply;
}

const ask = (body: object, path = '/v1/responses', host = HOST) => call({ path, host, body });

/** A fetch from alice-box (127.0.0.2) that resolves *.localhost to 127.0.0.1. */
function fetchFromVm(): typeof fetch {
  const dispatcher = vmDispatcher('127.0.0.2');
  agents.push(dispatcher);
  return (async (input: any, init: any) => {
    const res = await undiciFetch(input, { ...init, dispatcher });
    const text = await res.clone().text();
    seen.push(JSON.stringify([...res.headers]), text);
    return res;
  }) as unknown as typeof fetch;
}

/** Backend requests to /responses since `from`. */
const responsesCalls = (from = 0) => gpt.backendRequests.slice(from).filter((r) => r.path === '/responses');

before(async () => {
  gpt = await startMockChatgpt({ accessTtlS: 3600 });
  env = await startGatewayEnv({ env: chatgptEnv(gpt) });
  svc = await chatgptService(env.gh);
  alice = await svc.userId('alice');
  await connectAccount(gpt, svc.accounts, alice, 'work', WORK);
  await env.ok(env.alice, 'integrations add llm --name chatgpt-llm --openai=chatgpt --openai-account=work --anthropic=disabled --fireworks=disabled --attach auto:all');
});

after(async () => {
  await Promise.all(agents.map((a) => a.close()));
  await svc?.close();
  await env?.stop();
  await gpt?.close();
});

describe('issue 13: a ChatGPT account as the OpenAI source, over HTTP', () => {
  it('issue 13 A4: a request that does not stream gets one Responses object, collected from the backend\'s stream', async () => {
    const from = gpt.backendRequests.length;
    const r = await ask({ model: 'gpt-5.5', input: 'say hello' });
    assert.equal(r.status, 200, r.text);
    assert.match(String(r.headers['content-type']), /application\/json/);
    const body = r.json();
    assert.equal(body.object, 'response');
    assert.equal(body.status, 'completed');
    assert.equal(body.output[0].content[0].text, 'Hello token1 token2');
    assert.equal(body.usage.output_tokens, 15);
    assert.equal(r.headers['x-codex-primary-used-percent'], '42', 'the plan windows reach the client');
    const [up] = responsesCalls(from);
    assert.equal(up.json.stream, true, 'the backend streams only');
    assert.equal(up.json.store, false);
    assert.equal(typeof up.json.instructions, 'string');
    assert.equal(up.headers.accept, 'text/event-stream');
  });

  it('issue 13 A4: a streamed request passes the backend\'s events through', async () => {
    const r = await ask({ model: 'gpt-5.5', input: 'say hello', stream: true, instructions: 'be brief', store: false });
    assert.equal(r.status, 200, r.text);
    assert.match(String(r.headers['content-type']), /text\/event-stream/);
    assert.match(r.text, /event: response\.output_text\.delta/);
    assert.match(r.text, /event: response\.completed/);
    const up = responsesCalls().at(-1)!;
    assert.equal(up.json.instructions, 'be brief', 'what the client sent is kept');
  });

  it('issue 13 A4: the backend got the account\'s Bearer token and ChatGPT-Account-ID and an originator, never the VM\'s credentials', async () => {
    const calls = responsesCalls();
    assert.ok(calls.length >= 2);
    const issued = gpt.issuedTokens();
    for (const up of calls) {
      const token = /^Bearer (.+)$/.exec(up.headers.authorization)?.[1];
      assert.ok(token && issued.includes(token), 'an access token the issuer gave the account');
      assert.equal(up.headers['chatgpt-account-id'], 'acct-work');
      assert.equal(up.headers.originator, 'codex_cli_rs');
      assert.ok(!JSON.stringify(up).includes('vm-own-secret'), 'the VM credential never goes upstream');
    }
  });

  it('issue 13 A4: the OpenAI SDK\'s responses.create, plain and streaming, on the hostname and the metadata path', async () => {
    for (const baseURL of [`http://${HOST}:${env.port}/v1`, `http://127.0.0.1:${env.port}/gateway/chatgpt-llm/openai/v1`]) {
      const client = new OpenAI({ apiKey: 'dummy-sdk-key', baseURL, maxRetries: 0, fetch: fetchFromVm() });
      const plain = await client.responses.create({ model: 'gpt-5.5', input: 'hi' });
      assert.equal(plain.output_text, 'Hello token1 token2');
      assert.equal(plain.usage?.input_tokens, 25);
      const { text, completed } = await readResponsesStream(await client.responses.create({ model: 'gpt-5.5', input: 'hi', stream: true }));
      assert.equal(text, 'Hello token1 token2');
      assert.ok(completed);
    }
    assert.ok(!gpt.backendRequests.some((r) => JSON.stringify(r).includes('dummy-sdk-key')));
  });

  it('issue 13 A5: usage shows the tokens at cost 0, with source chatgpt', async () => {
    const usage = JSON.parse(await env.ok(env.alice, 'usage --json'));
    assert.ok(usage.total.input_tokens >= 25 * 6, JSON.stringify(usage.total));
    assert.equal(usage.total.cost_micros, 0);
    const rows = (await usageRows(env.gh)).filter((r) => r.integration_name === 'chatgpt-llm' && r.api === 'responses');
    assert.ok(rows.length >= 6);
    for (const row of rows) {
      assert.equal(row.source, 'chatgpt');
      assert.equal(row.provider, 'openai');
      assert.equal(Number(row.cost_micros), 0);
    }
    assert.ok(rows.every((r) => Number(r.input_tokens) === 25 && Number(r.output_tokens) === 15), 'tokens from response.completed');
  });

  it('issue 13 A9: store:true, Chat Completions and other OpenAI endpoints are a 400 that says why', async () => {
    const stored = await ask({ model: 'gpt-5.5', input: 'hi', store: true });
    assert.equal(stored.status, 400);
    assert.match(stored.json().error.message, /does not store responses .*store:false only/);
    for (const [path, host, body] of [
      ['/v1/chat/completions', HOST, { model: 'gpt-5.5', messages: [{ role: 'user', content: 'hi' }] }],
      ['/gateway/chatgpt-llm/openai/v1/chat/completions', 'localhost', { model: 'gpt-5.5', messages: [] }],
      ['/v1/embeddings', HOST, { model: 'text-embedding-3-small', input: 'x' }],
      ['/openai/v1/responses/resp_123/cancel', HOST, { model: 'gpt-5.5' }],
    ] as const) {
      const before = gpt.backendRequests.length;
      const r = await ask(body, path, host);
      assert.equal(r.status, 400, `${path}: ${r.text}`);
      assert.match(r.json().error.message, /serves the Responses API only \(POST \/v1\/responses\).*--openai=byok/);
      assert.equal(gpt.backendRequests.length, before, 'nothing went to the backend');
    }
  });

  it('issue 13: hostile bodies (not JSON, not an object) are refused before the backend', async () => {
    const before = gpt.backendRequests.length;
    for (const body of ['{"model":', '[1,2]', 'null']) {
      const r = await call({ path: '/openai/v1/responses', body, headers: { 'content-type': 'application/json' } });
      assert.equal(r.status, 400, `${body}: ${r.text}`);
    }
    assert.equal(gpt.backendRequests.length, before);
  });

  it('issue 13 A9: a 429 usage_limit_reached passes untouched, streamed or not', async () => {
    const limit = usageLimitReached('plus', 1_900_000_000);
    gpt.setBackendScenario({ error: limit });
    try {
      for (const stream of [false, true]) {
        const r = await ask({ model: 'gpt-5.5', input: 'hi', stream });
        assert.equal(r.status, 429);
        assert.deepEqual(r.json(), limit.body);
        assert.equal(r.headers['x-codex-primary-used-percent'], '100');
      }
    } finally {
      gpt.setBackendScenario(undefined);
    }
    const [account] = await svc.accounts.list(alice);
    assert.equal(account.windows?.primary?.usedPercent, 100, 'a 429 always stores the windows');
  });

  it('issue 13: a stream that fails is a 502 in OpenAI\'s shape for a client that did not stream', async () => {
    gpt.setBackendScenario({ errorAfterChunk: 1 });
    try {
      const r = await ask({ model: 'gpt-5.5', input: 'hi' });
      assert.equal(r.status, 502, r.text);
      assert.equal(typeof r.json().error.message, 'string');
    } finally {
      gpt.setBackendScenario(undefined);
    }
  });

  it('issue 13: /v1/responses/compact is passed to the backend', async () => {
    const r = await ask({ model: 'gpt-5.5', input: [{ role: 'user', content: 'long' }] }, '/v1/responses/compact');
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json().output[0].content[0].text, 'compacted');
    assert.equal(gpt.backendRequests.at(-1)!.path, '/responses/compact');
  });

  it('issue 13 A9: GET /v1/models lists the account\'s models (hidden ones left out) and the other providers\', cached', async () => {
    const before = gpt.backendRequests.filter((r) => r.path === '/models').length;
    const list = (await call({ path: '/v1/models' })).json();
    const ids: string[] = list.data.map((m: { id: string }) => m.id);
    assert.ok(ids.includes('gpt-5.5-codex') && ids.includes('openai/gpt-5.5'), ids.join(' '));
    assert.ok(!ids.includes('gpt-internal'), 'visibility hide is not listed');
    assert.ok(ids.some((id) => id.startsWith('gemini/')), 'other providers as today');
    assert.ok(!ids.some((id) => id.startsWith('anthropic/')), 'disabled providers are not');
    const proxied = (await call({ path: '/openai/v1/models' })).json();
    assert.ok(proxied.data.some((m: { id: string }) => m.id === 'gpt-5.5-codex'));
    const models = gpt.backendRequests.filter((r) => r.path === '/models');
    assert.equal(models.length - before, 1, 'one backend call for two lists');
    assert.ok(models.at(-1)!.query.client_version);
    assert.equal(models.at(-1)!.headers['chatgpt-account-id'], 'acct-work');
  });
});

describe('issue 13: tokens refresh once for many callers, and a lost login says what to run', () => {
  it('issue 13 A6: an access token about to expire and 20 concurrent requests: exactly one refresh', async () => {
    gpt.accessTtlS = 60; // inside the 5-minute skew: stale at once
    await connectAccount(gpt, svc.accounts, alice, 'soon', { ...WORK, accountId: 'acct-soon' });
    gpt.accessTtlS = 3600;
    await env.ok(env.alice, 'integrations add llm --name soon-llm --openai=chatgpt --openai-account=soon --attach auto:all');
    gpt.refreshDelayMs = 200;
    const before = gpt.refreshCount;
    try {
      const replies = await Promise.all(Array.from({ length: 20 }, () => ask({ model: 'gpt-5.5', input: 'hi' }, '/v1/responses', intHost('soon-llm'))));
      assert.deepEqual(replies.map((r) => r.status), Array(20).fill(200));
    } finally {
      gpt.refreshDelayMs = 0;
    }
    assert.equal(gpt.refreshCount - before, 1);
  });

  it('issue 13 A6: the backend refuses the token (401) for 20 concurrent requests: one refresh, each request retried once and answered', async () => {
    await ask({ model: 'gpt-5.5', input: 'warm' });
    gpt.expireAccess('acct-work');
    gpt.refreshDelayMs = 200;
    const before = gpt.refreshCount;
    const from = gpt.backendRequests.length;
    try {
      const replies = await Promise.all(Array.from({ length: 20 }, () => ask({ model: 'gpt-5.5', input: 'hi' })));
      assert.deepEqual(replies.map((r) => r.status), Array(20).fill(200));
    } finally {
      gpt.refreshDelayMs = 0;
    }
    assert.equal(gpt.refreshCount - before, 1);
    // Issue 13: each request was refused once and retried once: exactly 40 backend calls.
    const calls = responsesCalls(from);
    assert.equal(calls.length, 40);
    assert.equal(calls.filter((r) => r.status === 401).length, 20);
  });

  it('issue 13 A7: a revoked login: the VM gets a 401 naming the command its owner must run', async () => {
    gpt.revoke('acct-work');
    for (const stream of [false, true]) {
      const r = await ask({ model: 'gpt-5.5', input: 'hi', stream });
      assert.equal(r.status, 401, r.text);
      const err = r.json().error;
      assert.equal(err.type, 'authentication_error');
      assert.match(err.message, /ChatGPT account "work" needs a new login .*integrations setup chatgpt --name work/);
    }
    const [work] = (await svc.accounts.list(alice)).filter((a) => a.name === 'work');
    assert.equal(work.state, 'needs_login');
  });

  it('issue 13 A8: no token the issuer gave ever reached the VM, in any answer or header, nor the log', () => {
    const all = seen.join('\n');
    const log = env.gh.logLines.join('\n');
    assert.ok(seen.length > 40);
    for (const token of gpt.issuedTokens()) {
      assert.ok(!all.includes(token), 'a token reached the VM');
      assert.ok(!log.includes(token), 'a token was logged');
    }
  });
});

describe('issue 13: collect mode reads the stream a ChatGPT backend sends', () => {
  const sse = (events: object[]) => Buffer.from(events.map((e) => `event: ${(e as { type: string }).type}\ndata: ${JSON.stringify(e)}\n\n`).join(''));
  const item = (text: string) => ({ type: 'message', role: 'assistant', content: [{ type: 'output_text', text }] });

  it('issue 13: a response.completed with an empty output is filled from the output_item.done events, in index order, split anywhere', () => {
    const bytes = sse([
      { type: 'response.created', response: { id: 'r1', output: [] } },
      { type: 'response.output_item.done', output_index: 1, item: item('second') },
      { type: 'response.output_text.delta', delta: 'x' },
      { type: 'response.output_item.done', output_index: 0, item: item('first') },
      { type: 'response.completed', response: { id: 'r1', object: 'response', status: 'completed', output: [], usage: { input_tokens: 3 } } },
    ]);
    for (const cut of [1, 7, 100, bytes.length - 3]) {
      const c = new ResponseCollector();
      c.push(bytes.subarray(0, cut));
      c.push(bytes.subarray(cut));
      const { status, body } = c.result() as { status: number; body: any };
      assert.equal(status, 200);
      assert.deepEqual(body.output.map((o: any) => o.content[0].text), ['first', 'second']);
      assert.equal(body.usage.input_tokens, 3);
    }
  });

  it('issue 13: events are recognised by their SSE name, or by a top-level "type" that is not the first key', () => {
    const completed = { response: { id: 'r2', object: 'response', status: 'completed', output: [] }, sequence_number: 9, type: 'response.completed' };
    const done = { output_index: 0, item: item('late type'), type: 'response.output_item.done' };
    const named = Buffer.from(`event: response.output_item.done\ndata: ${JSON.stringify(done)}\n\nevent: response.completed\ndata: ${JSON.stringify(completed)}\n\n`);
    const unnamed = Buffer.from(`data: ${JSON.stringify(done)}\n\ndata: ${JSON.stringify(completed)}\n\n`);
    for (const bytes of [named, unnamed]) {
      const c = new ResponseCollector();
      c.push(bytes);
      const { status, body } = c.result() as { status: number; body: any };
      assert.equal(status, 200);
      assert.equal(body.id, 'r2');
      assert.equal(body.output[0].content[0].text, 'late type');
    }
    // A delta whose text mentions a kept type is not taken for it.
    const c = new ResponseCollector();
    c.push(Buffer.from(`event: response.output_text.delta\ndata: ${JSON.stringify({ delta: '"type":"response.completed"', type: 'response.output_text.delta' })}\n\n`));
    assert.equal(c.result().status, 502);
  });

  it('issue 13: response.failed, an error event, or no terminal event is a 502 carrying upstream\'s code and message', () => {
    const cases: [object[], string, RegExp][] = [
      [[{ type: 'response.failed', response: { error: { code: 'server_error', message: 'model crashed' } } }], 'server_error', /model crashed/],
      [[{ type: 'error', error: { code: 'context_length_exceeded', message: 'too long' } }], 'context_length_exceeded', /too long/],
      [[{ type: 'response.created', response: {} }], 'upstream_unreachable', /ended without a response/],
      [[], 'upstream_unreachable', /ended without a response/],
    ];
    for (const [events, code, message] of cases) {
      const c = new ResponseCollector();
      c.push(sse(events));
      c.push(Buffer.from('data: {not json\n\n: comment\n\n'));
      const { status, body } = c.result() as { status: number; body: any };
      assert.equal(status, 502);
      assert.equal(body.error.code, code);
      assert.match(body.error.message, message);
    }
  });
});
