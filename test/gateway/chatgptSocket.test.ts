// Issue 13 (research §2.6): the Responses WebSocket relay on an integration whose OpenAI source is a
// ChatGPT account, over real sockets against the mock ChatGPT backend: the backend's socket is
// opened with the account's token and account id (never the VM's credential), turns follow the
// HTTP body rules and are metered at cost 0 with source chatgpt, the plan's windows are noted from
// codex.rate_limits frames, a 401 upgrade refreshes once, and a lost login is a 426 (Codex then
// asks over HTTP, which explains it).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type WebSocket from 'ws';
import { startMockChatgpt, type MockChatgpt } from '../fixtures/mockChatgpt.js';
import { chatgptEnv, chatgptService, connectAccount, type ChatgptService } from '../helpers/chatgpt.js';
import { intHost, startGatewayEnv, type GatewayEnv } from '../helpers/gateway.js';
import { framesUntil, openSocket, type Refusal } from '../helpers/websocket.js';
import { usageRows, until } from '../metering/helpers.js';

const HOST = intHost('chatgpt-llm');
const CODEX_HEADERS = { 'openai-beta': 'responses_websockets=2026-02-06', authorization: 'Bearer vm-own-secret-key-0002', session_id: 'sess-gpt-1' };
const TURN = { type: 'response.create', model: 'gpt-5.5', input: [{ role: 'user', content: 'hi' }], store: false, instructions: 'be brief' };

let env: GatewayEnv;
let gpt: MockChatgpt;
let svc: ChatgptService;
let alice: number;

const connect = (path = '/v1/responses', host = HOST) => openSocket(`ws://127.0.0.1:${env.port}${path}`, { localAddress: '127.0.0.2', headers: { ...CODEX_HEADERS, host } });

async function turn(ws: WebSocket, frame: object = TURN): Promise<any[]> {
  const frames = framesUntil(ws, (f) => ['response.completed', 'response.failed', 'error'].includes(f.type));
  ws.send(JSON.stringify(frame));
  return frames;
}

before(async () => {
  gpt = await startMockChatgpt({ accessTtlS: 3600 });
  env = await startGatewayEnv({ env: chatgptEnv(gpt) });
  svc = await chatgptService(env.gh);
  alice = await svc.userId('alice');
  await connectAccount(gpt, svc.accounts, alice, 'work', { email: 'work@example.com', plan: 'plus', accountId: 'acct-work' });
  await env.ok(env.alice, 'integrations add llm --name chatgpt-llm --openai=chatgpt --openai-account=work --anthropic=disabled --fireworks=disabled --attach auto:all');
});

after(async () => {
  await svc?.close();
  await env?.stop();
  await gpt?.close();
});

describe('issue 13: the Responses WebSocket on a ChatGPT account', () => {
  it('issue 13: the backend\'s /responses socket is opened with the account\'s Bearer and ChatGPT-Account-ID, never the VM\'s credential', async () => {
    for (const [path, host] of [['/v1/responses', HOST], ['/gateway/chatgpt-llm/openai/v1/responses', 'localhost']]) {
      const before = gpt.sockets.length;
      const ws = await connect(path, host);
      await gpt.waitFor(() => gpt.sockets.length === before + 1);
      const up = gpt.sockets[before];
      assert.equal(up.path, '/responses');
      const token = /^Bearer (.+)$/.exec(up.headers.authorization)?.[1];
      assert.ok(token && gpt.issuedTokens().includes(token));
      assert.equal(up.headers['chatgpt-account-id'], 'acct-work');
      assert.equal(up.headers.originator, 'codex_cli_rs', 'filled in when the client sent none');
      assert.equal(up.headers['openai-beta'], 'responses_websockets=2026-02-06');
      assert.ok(!JSON.stringify(up.headers).includes('vm-own-secret'));
      ws.close();
    }
  });

  it('issue 13: a turn is relayed, its windows noted from codex.rate_limits, and metered at cost 0 with source chatgpt', async () => {
    gpt.setWindows({ primary: { usedPercent: 77, windowMinutes: 300, resetAt: 1_900_000_000 }, secondary: { usedPercent: 5, windowMinutes: 10080, resetAt: 1_900_500_000 } });
    const since = new Date().toISOString();
    const ws = await connect();
    const frames = await turn(ws);
    assert.ok(frames.some((f) => f.type === 'codex.rate_limits'), 'the frame reaches the client too');
    const done = frames.at(-1);
    assert.equal(done.type, 'response.completed');
    const rows = await until(async () => {
      await env.ok(env.alice, 'usage --json'); // flushes the usage writer
      const r = (await usageRows(env.gh)).filter((x) => x.integration_name === 'chatgpt-llm' && x.created_at >= since);
      return r.length ? r : undefined;
    }, 'the turn\'s usage row');
    assert.equal(rows[0].source, 'chatgpt');
    assert.equal(Number(rows[0].cost_micros), 0);
    assert.equal(Number(rows[0].input_tokens), 25);
    assert.equal(Number(rows[0].output_tokens), 15);
    const windows = await until(async () => (await svc.accounts.list(alice))[0].windows ?? undefined, 'the windows stored');
    assert.equal(windows.primary?.usedPercent, 77);
    ws.close();
  });

  it('issue 13: store:true in a response.create is an error frame saying why (nothing upstream, the socket stays open); missing store and instructions are filled', async () => {
    const ws = await connect();
    const up = gpt.sockets.at(-1)!;
    const [refusal] = await turn(ws, { ...TURN, store: true });
    assert.equal(refusal.type, 'error');
    assert.equal(refusal.status, 400);
    assert.match(refusal.error.message, /does not store responses/);
    const { store: _s, instructions: _i, ...bare } = TURN;
    const frames = await turn(ws, { ...bare, model: 'openai/gpt-5.5' });
    assert.equal(frames.at(-1).type, 'response.completed');
    assert.equal(up.frames.length, 1, 'only the second turn went upstream');
    const sent = JSON.parse(up.frames[0].data);
    assert.equal(sent.store, false);
    assert.equal(typeof sent.instructions, 'string');
    assert.equal(sent.model, 'gpt-5.5');
    ws.close();
  });

  it('issue 13: a 401 on the upgrade refreshes the token once and opens again', async () => {
    gpt.expireAccess('acct-work');
    const before = gpt.refreshCount;
    const ws = await connect();
    const frames = await turn(ws);
    assert.equal(frames.at(-1).type, 'response.completed');
    assert.equal(gpt.refreshCount - before, 1);
    ws.close();
  });

  it('issue 13: a lost login is a 426 over WebSocket, and the HTTP fallback explains it with a 401', async () => {
    gpt.revoke('acct-work');
    const err = (await connect().then(
      (ws) => (ws.terminate(), assert.fail('a lost login must not be relayed')),
      (e) => e,
    )) as Refusal;
    assert.equal(err.status, 426, String(err));
    const http = await env.request({ host: HOST, path: '/v1/responses', body: { model: 'gpt-5.5', input: 'hi' } });
    assert.equal(http.status, 401);
    assert.match(http.json().error.message, /integrations setup chatgpt --name work/);
    // Known afterwards too, without asking the issuer again.
    const again = (await connect().then(
      (ws) => (ws.terminate(), assert.fail('still lost')),
      (e) => e,
    )) as Refusal;
    assert.equal(again.status, 426);
  });
});
