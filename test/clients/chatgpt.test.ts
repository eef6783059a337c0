// Issue 13 A10, with the real client: stock Codex 0.169 through an integration whose OpenAI source
// is a ChatGPT account (the mock ChatGPT backend). Its built-in provider goes over the WebSocket
// relay; a custom provider without WebSockets over HTTP. Either way the backend sees the account's
// token and account id, never what Codex sent, and the turns are metered at cost 0.
// Installed by scripts/install-clients.sh; where it is missing these tests say so and skip.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startMockChatgpt, type MockChatgpt } from '../fixtures/mockChatgpt.js';
import { chatgptEnv, chatgptService, connectAccount, type ChatgptService } from '../helpers/chatgpt.js';
import { tempDir } from '../helpers/gatehouse.js';
import { startGatewayEnv, type GatewayEnv } from '../helpers/gateway.js';
import { usageRows } from '../metering/helpers.js';
import { clientBin, runClient, type ClientRun } from './clients.js';
import { tap, type Tap } from './tap.js';

const CODEX = clientBin('codex', 'GATEHOUSE_TEST_CODEX');
const DEADLINE_MS = 60_000;

function codexExec(config: string[], extraEnv: Record<string, string> = {}): Promise<ClientRun> {
  const home = tempDir('gatehouse-codex-');
  const args = ['exec', '--skip-git-repo-check', ...config.flatMap((c) => ['-c', c]), 'say pong'];
  return runClient(CODEX, args, { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, CODEX_HOME: home, RUST_LOG: 'warn', ...extraEnv }, cwd: home, deadlineMs: DEADLINE_MS });
}

describe('issue 13 A10: stock Codex through a ChatGPT-account integration', { skip: CODEX.skip }, () => {
  let env: GatewayEnv;
  let gpt: MockChatgpt;
  let svc: ChatgptService;
  let vm: Tap;
  const base = () => `http://127.0.0.1:${vm.port}/gateway/chatgpt-llm/openai/v1`;

  before(async () => {
    gpt = await startMockChatgpt({ accessTtlS: 3600 });
    env = await startGatewayEnv({ env: chatgptEnv(gpt) });
    svc = await chatgptService(env.gh);
    await connectAccount(gpt, svc.accounts, await svc.userId('alice'), 'work', { email: 'work@example.com', plan: 'pro', accountId: 'acct-work' });
    await env.ok(env.alice, 'integrations add llm --name chatgpt-llm --openai=chatgpt --openai-account=work --anthropic=disabled --fireworks=disabled --attach auto:all');
    vm = await tap(env.port, '127.0.0.2');
  });
  after(async () => {
    await vm?.close();
    await svc?.close();
    await env?.stop();
    await gpt?.close();
  });

  const accountHeaders = (h: Record<string, string>) => /^Bearer /.test(h.authorization) && gpt.issuedTokens().includes(h.authorization.slice(7)) && h['chatgpt-account-id'] === 'acct-work';

  it('issue 13 A10: the built-in provider (openai_base_url only) completes its turn over the WebSocket relay to the backend', async () => {
    const r = await codexExec(['model="gpt-5.5"', `openai_base_url="${base()}"`]);
    assert.equal(r.code, 0, `codex exit ${r.code}; stderr: ${r.err.slice(-1500)}\nwire:\n${vm.shown()}`);
    assert.match(r.out, /Hello/);
    assert.deepEqual(vm.exchanges().filter((x) => x.upgrade).map((x) => x.answer?.slice(0, 12)), ['HTTP/1.1 101'], vm.shown());
    assert.equal(gpt.sockets.length, 1);
    assert.ok(accountHeaders(gpt.sockets[0].headers), JSON.stringify(Object.keys(gpt.sockets[0].headers)));
    assert.equal(gpt.backendRequests.filter((q) => q.path === '/responses').length, 0, 'no HTTP fallback');
  });

  it('issue 13 A10: a custom provider without WebSockets (a gatehouse API key in env_key) completes its turn over HTTP; the key stays at gatehouse', async () => {
    const key = JSON.parse(await env.ok(env.alice, 'keys create --name codex --json')).key as string;
    const provider = `model_providers.gatehouse={name="gatehouse",base_url="${base()}",env_key="GATEHOUSE_API_KEY",wire_api="responses",supports_websockets=false}`;
    const r = await codexExec(['model="gpt-5.5"', 'model_provider="gatehouse"', provider], { GATEHOUSE_API_KEY: key });
    assert.equal(r.code, 0, `codex exit ${r.code}; stderr: ${r.err.slice(-1500)}\nwire:\n${vm.shown()}`);
    assert.match(r.out, /Hello/);
    const posts = gpt.backendRequests.filter((q) => q.path === '/responses');
    assert.ok(posts.length >= 1);
    for (const q of posts) {
      assert.ok(accountHeaders(q.headers));
      assert.ok(!JSON.stringify(q).includes(key), 'the gk_ key never goes to the backend');
      assert.equal(q.json.store, false);
    }
  });

  it('issue 13 A10: every Codex turn is a usage row with source chatgpt at cost 0', async () => {
    await env.ok(env.alice, 'usage --json'); // flushes the usage writer
    const rows = (await usageRows(env.gh)).filter((r) => r.integration_name === 'chatgpt-llm' && r.api === 'responses');
    assert.ok(rows.length >= 2, JSON.stringify(rows));
    assert.ok(rows.every((r) => r.source === 'chatgpt' && Number(r.cost_micros) === 0 && Number(r.input_tokens) > 0));
  });

  it('issue 13 A7/A10: a lost login: the upgrade gets 426, and Codex\'s HTTP fallback shows the user what the owner must run', async () => {
    gpt.revoke('acct-work');
    const n = vm.exchanges().length;
    const r = await codexExec(['model="gpt-5.5"', `openai_base_url="${base()}"`]);
    assert.notEqual(r.code, 0);
    assert.match(r.err, /integrations setup chatgpt --name work/, r.err.slice(-1500));
    const wire = vm.exchanges().slice(n);
    assert.match(wire.find((x) => x.upgrade)?.answer ?? '', /^HTTP\/1\.1 426 /, vm.shown());
    assert.ok(wire.some((x) => /^POST \S*\/responses /.test(x.line) && /^HTTP\/1\.1 401/.test(x.answer ?? '')), vm.shown());
  });
});
