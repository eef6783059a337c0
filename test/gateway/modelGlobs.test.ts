// Issue 11, point 1: a user's model glob meets the model a VM names on the gateway's hot path.
// The matcher must stay linear: a pattern that would backtrack exponentially as a RegExp is
// refused in milliseconds, and everyone else is answered meanwhile.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { assertRefused, intHost, startGatewayEnv, type GatewayEnv } from '../helpers/gateway.js';

let env: GatewayEnv;
const LLM = intHost('llm');
const EVIL = '*a'.repeat(23) + '*b';
const FORTY_A = 'a'.repeat(40) + 'c';

before(async () => {
  env = await startGatewayEnv();
  await env.ok(env.alice, `integrations edit llm --models '${EVIL}'`);
});
after(() => env.stop());
beforeEach(() => env.mock.reset());

describe('model globs on the gateway', () => {
  it('issue 11.1: the pathological glob refuses a 40-a model in under 50 ms while /api/hello answers in under 200 ms', async () => {
    const hello = env.request({ path: '/api/hello', from: '127.0.0.1' });
    const started = performance.now();
    // The fastest of three: a backtracking matcher takes minutes every time; a loaded CI machine
    // may delay any one request by a few milliseconds.
    let fastest = Infinity;
    for (let i = 0; i < 3; i++) {
      const t0 = performance.now();
      const reply = await env.request({ path: '/v1/messages', host: LLM, body: { model: FORTY_A, max_tokens: 8, messages: [{ role: 'user', content: 'hi' }] } });
      fastest = Math.min(fastest, performance.now() - t0);
      assertRefused(reply, env.mock, 403, 'anthropic', /is not allowed by integration "llm"/);
    }
    assert.ok(fastest < 50, `refusal took ${fastest.toFixed(1)} ms`);
    const h = await hello;
    assert.equal(h.status, 200);
    assert.ok(h.endedAt - started < 200, `hello took ${(h.endedAt - started).toFixed(1)} ms`);
  });

  it('the same on the by-model and metadata routes, and /v1/models filters with the same matcher', async () => {
    assertRefused(await env.request({ path: '/v1/chat/completions', host: LLM, body: { model: `openai/${FORTY_A}`, messages: [] } }), env.mock, 403, 'openai', /not allowed/);
    assertRefused(await env.request({ path: '/gateway/llm/anthropic/v1/messages', body: { model: FORTY_A, max_tokens: 8, messages: [] } }), env.mock, 403, 'anthropic', /not allowed/);
    const models = await env.request({ path: '/v1/models', host: LLM });
    assert.equal(models.status, 200);
    assert.deepEqual(models.json().data, [], 'no catalog model matches *a*…*b');
  });

  it('an API key scoped by the pathological glob refuses as fast', async () => {
    await env.ok(env.alice, "integrations edit llm --models all");
    const key = (await env.ok(env.alice, `keys create --name evil --models '${EVIL}' --json`)).trim();
    const secret = JSON.parse(key).key as string;
    const started = performance.now();
    const reply = await env.request({ path: '/gateway/llm/anthropic/v1/messages', from: '127.0.0.1', headers: { 'x-api-key': secret }, body: { model: FORTY_A, max_tokens: 8, messages: [] } });
    assertRefused(reply, env.mock, 403, 'anthropic', /not allowed by this API key/);
    assert.ok(performance.now() - started < 50);
  });

  it('a model id of a megabyte is refused as too long, before any matching', async () => {
    const reply = await env.request({ path: '/v1/messages', host: LLM, body: { model: 'a'.repeat(1 << 20), max_tokens: 8, messages: [] } });
    assertRefused(reply, env.mock, 400, 'anthropic', 'model id is too long (at most 256 characters)');
  });
});
