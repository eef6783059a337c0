// Issue 11, limits, with the official SDKs (no retries): over the limit, each raises its own
// rate-limit error type, and the retry-after and x-ratelimit-* headers are readable on it.
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { collect, open, startGatewayEnv, type GatewayEnv } from '../helpers/gateway.js';

let env: GatewayEnv;
let key: string;
let base: string;

before(async () => {
  env = await startGatewayEnv();
  key = /gk_[A-Za-z0-9]{40}/.exec(await env.ok(env.alice, 'keys create --name sdk'))![0];
  // Connections come from 127.0.0.1, not a VM: only the key lets them in.
  base = `http://127.0.0.1:${env.port}/gateway/llm`;
});
after(() => env.stop());
beforeEach(async () => {
  env.mock.reset();
  await env.ok(env.alice, 'admin limits set alice --reset');
});

async function rejection(p: Promise<unknown>): Promise<any> {
  return p.then(
    () => assert.fail('the call must be refused'),
    (err: unknown) => err,
  );
}

const MESSAGE = { model: 'claude-sonnet-5-5', max_tokens: 64, messages: [{ role: 'user' as const, content: 'hi' }] };

describe('issue 11 limits: the SDKs see their rate-limit errors', () => {
  it('issue 11 limits: the OpenAI SDK raises RateLimitError with the x-ratelimit headers readable', async () => {
    await env.ok(env.alice, 'admin limits set alice --key-rpm 1');
    const client = new OpenAI({ baseURL: `${base}/openai/v1`, apiKey: key, maxRetries: 0 });
    const ok = await client.chat.completions.create({ model: 'gpt-5.5', messages: [{ role: 'user', content: 'hi' }] });
    assert.equal(ok.object, 'chat.completion');
    const err = await rejection(client.chat.completions.create({ model: 'gpt-5.5', messages: [{ role: 'user', content: 'hi' }] }));
    assert.ok(err instanceof OpenAI.RateLimitError, `got ${err?.constructor?.name}: ${err?.message}`);
    assert.equal(err.status, 429);
    assert.equal(err.code, 'rate_limited');
    assert.match(err.message, /1 request per minute for API key "sdk"/);
    assert.equal(err.headers.get('x-ratelimit-limit-requests'), '1');
    assert.equal(err.headers.get('x-ratelimit-remaining-requests'), '0');
    assert.match(String(err.headers.get('x-ratelimit-reset-requests')), /^\d+(\.\d+)?s$|^1m0s$/);
    assert.ok(Number(err.headers.get('retry-after')) >= 1);
    assert.equal(env.mock.requests.length, 1, 'the refused call never went upstream');
  });

  it('issue 11 limits: the Anthropic SDK raises RateLimitError, for requests per minute and for a held stream', async () => {
    await env.ok(env.alice, 'admin limits set alice --key-rpm 1');
    const client = new Anthropic({ baseURL: `${base}/anthropic`, authToken: key, maxRetries: 0 });
    assert.equal((await client.messages.create(MESSAGE)).type, 'message');
    const err = await rejection(client.messages.create(MESSAGE));
    assert.ok(err instanceof Anthropic.RateLimitError, `got ${err?.constructor?.name}: ${err?.message}`);
    assert.equal(err.status, 429);
    assert.equal((err.error as any)?.error?.type, 'rate_limit_error');
    assert.equal(err.headers.get('x-ratelimit-remaining-requests'), '0');
    assert.ok(Number(err.headers.get('retry-after')) >= 1);

    // In flight: a stream held open by upstream fills the key's one slot.
    await env.ok(env.alice, 'admin limits set alice --reset --key-concurrent 1');
    let letGo!: () => void;
    env.mock.setHandler(async (ctx) => {
      ctx.res.writeHead(200, { 'content-type': 'text/event-stream' });
      ctx.res.write('event: ping\ndata: {"type": "ping"}\n\n');
      await new Promise<void>((resolve) => {
        letGo = resolve;
        ctx.signal.addEventListener('abort', () => resolve());
      });
      ctx.res.end();
      return true;
    });
    const held = await open(env.port, { from: '127.0.0.1', path: '/gateway/llm/anthropic/v1/messages', headers: { 'x-api-key': key }, body: { ...MESSAGE, stream: true } });
    assert.equal(held.res.statusCode, 200);
    const busy = await rejection(client.messages.create(MESSAGE));
    assert.ok(busy instanceof Anthropic.RateLimitError, `got ${busy?.constructor?.name}: ${busy?.message}`);
    assert.match((busy.error as any)?.error?.message, /concurrency limit reached: 1 request in flight at once for API key "sdk"/);
    assert.ok(busy.headers.get('retry-after'));
    letGo();
    await collect(held.res, held.req);
    env.mock.setHandler(undefined);
    assert.equal((await client.messages.create(MESSAGE)).type, 'message', 'the slot came back');
  });
});
