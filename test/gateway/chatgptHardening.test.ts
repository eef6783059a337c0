// Issue 13 review fixes in the gateway's ChatGPT source, over real sockets against the mock ChatGPT:
// collect mode is bounded in memory and lets go of upstream when the client leaves, a client gone
// during a token refresh leaves no backend socket behind, a backend that refuses even a fresh token
// does not make every request refresh, and the models list asks the backend once for many callers.
import assert from 'node:assert/strict';
import http, { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { startMockChatgpt, type MockChatgpt } from '../fixtures/mockChatgpt.js';
import { chatgptEnv, chatgptService, connectAccount, type ChatgptService } from '../helpers/chatgpt.js';
import { intHost, startGatewayEnv, type GatewayEnv } from '../helpers/gateway.js';
import { framesUntil, next, openSocket } from '../helpers/websocket.js';
import { usageRows, until } from '../metering/helpers.js';
import { answerCollected, COLLECT_MAX_BYTES } from '../../src/gateway/collect.js';
import { GatehouseError } from '../../src/errors.js';

let env: GatewayEnv;
let gpt: MockChatgpt;
let svc: ChatgptService;
let alice: number;

/** An account and an llm integration on it, both named `name`. */
async function accountWithIntegration(name: string): Promise<string> {
  await connectAccount(gpt, svc.accounts, alice, name, { email: `${name}@example.com`, plan: 'plus', accountId: `acct-${name}` });
  await env.ok(env.alice, `integrations add llm --name ${name} --openai=chatgpt --openai-account=${name} --anthropic=disabled --fireworks=disabled --attach auto:all`);
  return intHost(name);
}

before(async () => {
  gpt = await startMockChatgpt({ accessTtlS: 3600 });
  env = await startGatewayEnv({ env: chatgptEnv(gpt) });
  svc = await chatgptService(env.gh);
  alice = await svc.userId('alice');
});

after(async () => {
  await svc?.close();
  await env?.stop();
  await gpt?.close();
});

describe('issue 13: collect mode is bounded', () => {
  it('issue 13: a stream past 64 MiB in one unfinished data: line is a 502 (upstream_unreachable), the upstream body destroyed', async () => {
    let sent = 0;
    const MiB = Buffer.alloc(1 << 20, 'a');
    const body = Readable.from(
      (function* () {
        yield Buffer.from('event: response.completed\ndata: {"type":"response.completed","pad":"');
        for (let i = 0; i < 100; i++) yield ((sent += MiB.length), MiB);
      })(),
    );
    const res = new ServerResponse(new IncomingMessage(new Socket()));
    const err = await answerCollected(body, {}, res, undefined, 0).then(
      () => assert.fail('an answer past the cap must not be collected'),
      (e) => e,
    );
    assert.ok(err instanceof GatehouseError, String(err));
    assert.equal(err.httpStatus, 502);
    assert.match(err.message, /exceeded 64 MiB/);
    assert.ok(sent <= COLLECT_MAX_BYTES + MiB.length, `read ${sent} bytes`);
    assert.ok(body.destroyed, 'the upstream body is let go');
    assert.ok(!res.headersSent);
  });

  it('issue 13: a client that leaves during collect mode: upstream closed, one row with status 499', async () => {
    const host = await accountWithIntegration('leaver');
    gpt.setBackendScenario({ chunks: 5, chunkDelayMs: 2000 });
    const from = gpt.backendRequests.length;
    try {
      const req = http.request({ host: '127.0.0.1', port: env.port, method: 'POST', path: '/v1/responses', localAddress: '127.0.0.2', agent: false, headers: { host, 'content-type': 'application/json' } });
      req.on('error', () => {});
      req.end(JSON.stringify({ model: 'gpt-5.5', input: 'hi' }));
      await gpt.waitFor(() => gpt.backendRequests.length > from);
      req.destroy();
      const up = gpt.backendRequests[from];
      // The mock's handler ends at once when its client (the gateway) goes; else it takes 8 s.
      await gpt.waitFor(() => up.status !== undefined, 3000);
    } finally {
      gpt.setBackendScenario(undefined);
    }
    const rows = await until(async () => {
      await env.ok(env.alice, 'usage --json'); // flushes the usage writer
      const r = (await usageRows(env.gh)).filter((x) => x.integration_name === 'leaver');
      return r.length ? r : undefined;
    }, 'the cut call\'s usage row');
    assert.deepEqual(rows.map((r) => Number(r.status)), [499]);
  });
});

describe('issue 13: a backend that refuses even a fresh token', () => {
  it('issue 13: refresh succeeds but the backend 401s again: one retry, a 401 in OpenAI\'s shape (not the backend\'s body), and no new refresh for the next request', async () => {
    const host = await accountWithIntegration('stubborn');
    const warm = await env.request({ host, path: '/v1/responses', body: { model: 'gpt-5.5', input: 'hi' } });
    assert.equal(warm.status, 200, warm.text);
    const refreshes = gpt.refreshCount;
    const from = gpt.backendRequests.length;
    gpt.setBackendScenario({ error: { status: 401, body: { error: { message: 'raw backend refusal', type: 'invalid_request_error', code: 'token_invalidated' } } } });
    try {
      for (const stream of [false, true, false]) {
        const r = await env.request({ host, path: '/v1/responses', body: { model: 'gpt-5.5', input: 'hi', stream } });
        assert.equal(r.status, 401, r.text);
        const err = r.json().error;
        assert.equal(err.type, 'authentication_error');
        assert.match(err.message, /ChatGPT backend refused the freshly refreshed token of ChatGPT account "stubborn"/);
        assert.ok(!r.text.includes('raw backend refusal'));
      }
    } finally {
      gpt.setBackendScenario(undefined);
    }
    assert.equal(gpt.refreshCount - refreshes, 1, 'one forced refresh, not one per request');
    const calls = gpt.backendRequests.slice(from).filter((r) => r.path === '/responses');
    assert.equal(calls.length, 2 + 1 + 1, 'the first request retried once, the next ones not');
  });
});

describe('issue 13: the WebSocket on a ChatGPT account, client gone mid-refresh', () => {
  it('issue 13: a client that leaves while the token refreshes between two upgrade attempts leaves no backend socket open', async () => {
    const host = await accountWithIntegration('gone');
    const before = gpt.sockets.length;
    const issuerFrom = gpt.issuerRequests.length;
    gpt.expireAccess('acct-gone');
    gpt.refreshDelayMs = 600;
    try {
      const raw = new Socket();
      raw.on('error', () => {});
      raw.connect({ host: '127.0.0.1', port: env.port, localAddress: '127.0.0.2' });
      const key = Buffer.alloc(16, 7).toString('base64');
      raw.write(`GET /v1/responses HTTP/1.1\r\nhost: ${host}\r\nconnection: Upgrade\r\nupgrade: websocket\r\nsec-websocket-version: 13\r\nsec-websocket-key: ${key}\r\n\r\n`);
      // Gone while the refresh is under way (the issuer answers after 600 ms).
      await gpt.waitFor(() => gpt.issuerRequests.length > issuerFrom);
      raw.destroy();
      await gpt.waitFor(() => gpt.issuerRequests.slice(issuerFrom).some((r) => r.status !== undefined));
    } finally {
      gpt.refreshDelayMs = 0;
    }
    // A whole turn on a new socket: any socket the gone client's upgrade would open is open by then.
    const ws = await openSocket(`ws://127.0.0.1:${env.port}/v1/responses`, { localAddress: '127.0.0.2', headers: { host } });
    await gpt.waitFor(() => gpt.sockets.length > before);
    ws.close();
    await gpt.waitFor(() => gpt.sockets.slice(before).every((s) => s.closed), 3000);
    assert.equal(gpt.sockets.length - before, 1, 'only the new client\'s socket was opened');
  });
});

describe('issue 13: the models list on a ChatGPT account', () => {
  it('issue 13: concurrent lists make one backend call; an oversized list (over 1 MiB) is left out, and that failure is remembered', async () => {
    const host = await accountWithIntegration('lister');
    const modelsCalls = () => gpt.backendRequests.filter((r) => r.path === '/models').length;
    let from = modelsCalls();
    const lists = await Promise.all(Array.from({ length: 5 }, () => env.request({ host, path: '/v1/models' })));
    for (const l of lists) assert.ok(l.json().data.some((m: { id: string }) => m.id === 'gpt-5.5-codex'));
    assert.equal(modelsCalls() - from, 1, 'single flight');

    const kept = gpt.models.splice(0);
    gpt.models.push(...kept, ...Array.from({ length: 600 }, (_, i) => ({ slug: `big-${i}`, description: 'x'.repeat(2048), visibility: 'list' as const })));
    try {
      const host2 = await accountWithIntegration('lister2');
      from = modelsCalls();
      for (let i = 0; i < 3; i++) {
        const ids = (await env.request({ host: host2, path: '/v1/models' })).json().data.map((m: { id: string }) => m.id);
        assert.ok(!ids.some((id: string) => id.startsWith('big-') || id === 'gpt-5.5-codex'), 'nothing from a list over the cap');
        assert.ok(ids.some((id: string) => id.startsWith('gemini/')), 'the other providers are still listed');
      }
      assert.equal(modelsCalls() - from, 1, 'the failure is cached, not asked again at once');
    } finally {
      gpt.models.splice(0, gpt.models.length, ...kept);
    }
  });
});

describe('issue 13: the ChatGPT source\'s smaller rules', () => {
  it('issue 13: store other than false, absent or null ("true", 1, "false") is the documented 400; null is taken as false', async () => {
    const host = await accountWithIntegration('storer');
    const from = gpt.backendRequests.length;
    for (const store of ['true', 1, 'false', {}]) {
      const r = await env.request({ host, path: '/v1/responses', body: { model: 'gpt-5.5', input: 'hi', store } });
      assert.equal(r.status, 400, `${JSON.stringify(store)}: ${r.text}`);
      assert.match(r.json().error.message, /does not store responses/);
    }
    assert.equal(gpt.backendRequests.length, from, 'nothing went to the backend');
    const ok = await env.request({ host, path: '/v1/responses', body: { model: 'gpt-5.5', input: 'hi', store: null } });
    assert.equal(ok.status, 200, ok.text);
    assert.equal(gpt.backendRequests.at(-1)!.json.store, false);
  });

  it('issue 13: a JSON body sent without a content-type reaches the backend as application/json, one object with the bare model and the body rules', async () => {
    const host = await accountWithIntegration('typeless');
    const r = await env.request({ host, path: '/v1/responses', body: JSON.stringify({ model: 'openai/gpt-5.5', input: 'hi' }) });
    assert.equal(r.status, 200, r.text);
    const up = gpt.backendRequests.at(-1)!;
    assert.equal(up.headers['content-type'], 'application/json');
    assert.deepEqual({ model: up.json.model, stream: up.json.stream, store: up.json.store, input: up.json.input }, { model: 'gpt-5.5', stream: true, store: false, input: 'hi' });
  });

  it('issue 13: the backend\'s set-cookie never reaches the VM', async () => {
    const host = await accountWithIntegration('cookies');
    gpt.setBackendScenario({ error: { status: 400, body: { error: { message: 'bad' } }, headers: { 'set-cookie': '__cf_bm=secret-cookie; path=/', 'x-codex-primary-used-percent': '1' } } });
    try {
      const r = await env.request({ host, path: '/v1/responses', body: { model: 'gpt-5.5', input: 'hi', stream: true } });
      assert.equal(r.status, 400, r.text);
      assert.equal(r.headers['set-cookie'], undefined);
      assert.equal(r.headers['x-codex-primary-used-percent'], '1', 'other headers pass');
    } finally {
      gpt.setBackendScenario(undefined);
    }
  });

  it('issue 13: a re-login under the same name as another ChatGPT identity closes an open socket at its next turn (1012)', async () => {
    const host = await accountWithIntegration('relogin');
    const ws = await openSocket(`ws://127.0.0.1:${env.port}/v1/responses`, { localAddress: '127.0.0.2', headers: { host } });
    const frames = framesUntil(ws, (f) => ['response.completed', 'error'].includes(f.type));
    ws.send(JSON.stringify({ type: 'response.create', model: 'gpt-5.5', input: 'hi' }));
    assert.equal((await frames).at(-1).type, 'response.completed');
    await connectAccount(gpt, svc.accounts, alice, 'relogin', { email: 'other@example.com', plan: 'pro', accountId: 'acct-other' });
    const closed = next<[number, Buffer]>(ws, 'close');
    ws.send(JSON.stringify({ type: 'response.create', model: 'gpt-5.5', input: 'again' }));
    const [code] = await closed;
    assert.equal(code, 1012);
  });

  it('issue 13: a response.append between turns goes upstream as sent: the store and instructions rules are for response.create only', async () => {
    const host = await accountWithIntegration('appender');
    const ws = await openSocket(`ws://127.0.0.1:${env.port}/v1/responses`, { localAddress: '127.0.0.2', headers: { host } });
    const frames = framesUntil(ws, (f) => ['response.completed', 'error'].includes(f.type));
    ws.send(JSON.stringify({ type: 'response.create', model: 'gpt-5.5', input: 'hi' }));
    assert.equal((await frames).at(-1).type, 'response.completed');
    const up = gpt.sockets.at(-1)!;
    ws.send(JSON.stringify({ type: 'response.append', input: [{ role: 'user', content: 'more' }] }));
    await gpt.waitFor(() => up.frames.length === 2);
    const appended = JSON.parse(up.frames[1].data);
    assert.equal(appended.type, 'response.append');
    assert.equal(appended.instructions, undefined, 'no instructions added to an append');
    assert.equal(appended.store, undefined);
    ws.close();
  });
});

describe('issue 13: the collected answer\'s headers', () => {
  it('issue 13: the stream\'s content-encoding and content-length do not describe the assembled JSON answer', async () => {
    const events = [{ type: 'response.completed', response: { id: 'r9', object: 'response', status: 'completed', output: [] } }];
    const server = http.createServer((_req, res) => {
      const body = Readable.from([Buffer.from(events.map((e) => `event: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`).join(''))]);
      void answerCollected(body, { 'content-type': 'text/event-stream', 'content-encoding': 'gzip', 'content-length': '5', 'x-codex-primary-used-percent': '3' }, res, undefined, 0);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const port = (server.address() as { port: number }).port;
      const res = await fetch(`http://127.0.0.1:${port}/`);
      const text = await res.text();
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('content-encoding'), null);
      assert.equal(res.headers.get('content-type'), 'application/json');
      assert.equal(Number(res.headers.get('content-length')), Buffer.byteLength(text));
      assert.equal(JSON.parse(text).id, 'r9');
      assert.equal(res.headers.get('x-codex-primary-used-percent'), '3');
    } finally {
      server.close();
    }
  });
});
