// Issue 16.3 (redaction): a planted provider key (byok, sent on stdin), a gatehouse API key and a
// ChatGPT account's tokens appear in no raw log line, at debug level, whatever fails: an upstream
// 401, an upstream that cannot be reached, a refused or malformed request, a key in the query, a
// revoked ChatGPT login, a bad command line that carries a key.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startMockChatgpt, type MockChatgpt } from '../fixtures/mockChatgpt.js';
import { chatgptEnv, chatgptService, connectAccount, type ChatgptService } from '../helpers/chatgpt.js';
import { intHost, startGatewayEnv, type GatewayEnv, type Reply } from '../helpers/gateway.js';
import { until } from '../metering/helpers.js';

const BYOK = 'sk-ant-planted-byok-1f9c2e7d5a';
const FIREWORKS_BYOK = 'fw-planted-byok-77aa31c0de';
const ON_THE_COMMAND_LINE = 'sk-ant-cmdline-planted-0b3d9e';
const WORK = { email: 'work@example.com', plan: 'plus', accountId: 'acct-work' };
const ANTHROPIC = { 'anthropic-version': '2023-06-01' };
const OPUS = { model: 'claude-opus-5-5', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] };

describe('issue 16.3: no secret in any log line, whatever fails', () => {
  let env: GatewayEnv;
  let gpt: MockChatgpt;
  let svc: ChatgptService;
  let apiKey: string;
  const replies: Reply[] = [];

  const call = async (path: string, body: string | object, headers: Record<string, string> = {}, host = intHost('own')) => {
    const r = await env.request({ path, host, body, headers: { ...ANTHROPIC, ...headers } });
    replies.push(r);
    return r;
  };

  before(async () => {
    gpt = await startMockChatgpt({ accessTtlS: 3600 });
    // Fireworks' upstream is a closed port: "upstream unreachable".
    env = await startGatewayEnv({ env: { ...chatgptEnv(gpt), GATEHOUSE_LOG_LEVEL: 'debug' }, upstreams: { fireworks: 'http://127.0.0.1:9' } });
    svc = await chatgptService(env.gh);
    await connectAccount(gpt, svc.accounts, await svc.userId('alice'), 'work', WORK);
    await env.ok(env.alice, 'integrations add llm --name own --anthropic=byok --anthropic-key=- --attach vm:alice-box', BYOK);
    await env.ok(env.alice, 'integrations edit own --fireworks=byok --fireworks-key=-', FIREWORKS_BYOK);
    await env.ok(env.alice, 'integrations add llm --name gpt --openai=chatgpt --openai-account=work --anthropic=disabled --fireworks=disabled --attach vm:alice-box');
    apiKey = JSON.parse(await env.ok(env.alice, 'keys create --name ci --json')).key;
  });
  after(async () => {
    await svc?.close();
    await env?.stop();
    await gpt?.close();
  });

  it('issue 16.3: after upstream 401, unreachable, refusals, a key in the query and a revoked ChatGPT login, no secret was logged', async () => {
    const unauthorized = { error: { status: 401, body: { type: 'error', error: { type: 'authentication_error', message: `invalid x-api-key ${BYOK}` } } } };
    assert.equal((await call('/v1/messages', OPUS, { 'x-mock-scenario': JSON.stringify(unauthorized) })).status, 401);
    assert.equal((await call('/fireworks/v1/chat/completions', { model: 'accounts/fireworks/models/llama', messages: [] })).status, 502);
    assert.equal((await call('/v1/messages', '{not json', { authorization: `Bearer ${apiKey}` })).status, 400);
    assert.equal((await call(`/v1/messages?key=${apiKey}`, OPUS, { 'x-api-key': `${apiKey}x` })).status, 401);
    assert.equal((await call('/v1/messages', OPUS, { authorization: `Bearer ${apiKey}`, 'x-mock-scenario': JSON.stringify(unauthorized) })).status, 401);
    assert.equal((await call('/v1/responses', { model: 'gpt-5.5', input: 'hi' }, {}, intHost('gpt'))).status, 200);
    gpt.revoke('acct-work');
    assert.equal((await call('/v1/responses', { model: 'gpt-5.5', input: 'hi' }, {}, intHost('gpt'))).status, 401);
    // A command line that carries a key (it belongs on stdin) and fails.
    const bad = await env.sh(env.alice, `integrations edit nosuch --anthropic=byok --anthropic-key=${ON_THE_COMMAND_LINE}`);
    assert.notEqual(bad.code, 0);

    const ids = replies.map((r) => String(r.headers['x-gatehouse-request-id']));
    const logged = () => new Set(env.gh.rawLog.map((l) => JSON.parse(l)).filter((o) => o.msg === 'gateway request').map((o) => o.request_id));
    // A line is written once its response has closed on the server, just after the client's end.
    await until(() => ids.every((id) => logged().has(id)), 'a line for every request');
    const secrets = [BYOK, FIREWORKS_BYOK, ON_THE_COMMAND_LINE, apiKey, ...gpt.issuedTokens()];
    assert.ok(secrets.length >= 6);
    for (const line of env.gh.rawLog) {
      assert.doesNotThrow(() => JSON.parse(line), 'one JSON object a line');
      for (const secret of secrets) assert.ok(!line.includes(secret), `a secret in the log: ${line.replace(secret, '[the secret]')}`);
    }
  });
});
