// Issue 11, limits: per user and per API key, on the gateway. Requests per minute and requests in
// flight; over either, 429 in the caller's shape with retry-after and the x-ratelimit-* headers,
// before anything goes upstream; the slot comes back however a response ends; another user is
// never touched; `admin limits set` applies to the next request.
import assert from 'node:assert/strict';
import type { IncomingHttpHeaders } from 'node:http';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { MockContext } from '../fixtures/mockProvider.js';
import { CHAT_BODY, collect, errorOf, intHost, open, type GatewayEnv, type Reply, type Req, startGatewayEnv, ANTHROPIC_BODY } from '../helpers/gateway.js';
import { signUp, type KeyPair } from '../helpers/ssh.js';

let env: GatewayEnv;
let bob: KeyPair;
const LLM = intHost('llm');
const BOB_VM = '127.0.0.3';
const models = (from = '127.0.0.2', headers: Record<string, string> = {}): Req => ({ from, host: LLM, path: '/v1/models', headers });

before(async () => {
  env = await startGatewayEnv();
  bob = await signUp(env.gh.sshPort, 'bob');
  await env.ok(bob, `new --name bob-box --address ${BOB_VM}`);
});
after(() => env.stop());
beforeEach(async () => {
  env.mock.reset();
  await env.ok(env.alice, 'admin limits set alice --reset');
});

function assertRateHeaders(h: IncomingHttpHeaders, limit: number): void {
  assert.equal(h['x-ratelimit-limit-requests'], String(limit));
  assert.match(String(h['x-ratelimit-remaining-requests']), /^\d+$/);
  assert.match(String(h['x-ratelimit-reset-requests']), /^(\d+h)?(\d+m)?(\d+(\.\d+)?s|\d+ms)$/);
}

/** A 429 in the caller's shape with the retry headers; `upstream`: requests the mock had before. */
function assertLimited(reply: Reply, style: 'openai' | 'anthropic', message: RegExp, upstream = 0): void {
  assert.equal(reply.status, 429, reply.text);
  assert.match(String(reply.headers['content-type']), /application\/json/);
  assert.match(errorOf(style, reply.json()).message, message);
  assert.equal(env.mock.requests.length, upstream, 'nothing more went upstream');
  assert.match(String(reply.headers['retry-after']), /^[1-9]\d*$/);
  assert.match(String(reply.headers['retry-after-ms']), /^\d+$/);
}

describe('issue 11 limits: requests per minute', () => {
  it('issue 11 limits: a user over their requests per minute gets 429 with the headers, a second user is untouched', async () => {
    await env.ok(env.alice, 'admin limits set alice --rpm 3');
    for (let i = 0; i < 3; i++) {
      const r = await env.request(models());
      assert.equal(r.status, 200, r.text);
      assertRateHeaders(r.headers, 3);
      assert.equal(r.headers['x-ratelimit-remaining-requests'], String(2 - i));
    }
    // Anthropic shape on an Anthropic path, refused before the body is read or anything goes upstream.
    const refused = await env.request({ host: LLM, path: '/v1/messages', body: ANTHROPIC_BODY });
    assertLimited(refused, 'anthropic', /rate limit reached: 3 requests per minute for your account/);
    assert.equal(refused.json().error.type, 'rate_limit_error', 'the type the Anthropic SDK maps to RateLimitError');
    assertRateHeaders(refused.headers, 3);
    assert.equal(refused.headers['x-ratelimit-remaining-requests'], '0');
    assert.ok(Number(refused.headers['retry-after']) >= 19 && Number(refused.headers['retry-after']) <= 20, String(refused.headers['retry-after']));
    const chat = await env.request({ host: LLM, path: '/v1/chat/completions', body: CHAT_BODY });
    assertLimited(chat, 'openai', /rate limit reached/);
    assert.equal(chat.json().error.code, 'rate_limited');
    const credits = JSON.parse(await env.ok(env.alice, 'credits --json'));
    assert.deepEqual([credits.used_micros, credits.reserved_micros], [0, 0], 'refused before any credit was reserved');

    // Bob, meanwhile, is answered as if alice did not exist, including while she hammers.
    const hammer = Array.from({ length: 50 }, () => env.request(models()));
    const bobs = await Promise.all([0, 1, 2, 3, 4].map(() => env.request(models(BOB_VM))));
    for (const r of bobs) assert.equal(r.status, 200, r.text);
    assert.equal(bobs.at(-1)!.headers['x-ratelimit-limit-requests'], '600');
    for (const r of await Promise.all(hammer)) assert.equal(r.status, 429);
  });

  it('issue 11 limits: admin limits set takes effect on the next request, without a restart', async () => {
    await env.ok(env.alice, 'admin limits set alice --rpm 1');
    assert.equal((await env.request(models())).status, 200);
    assert.equal((await env.request(models())).status, 429);
    await env.ok(env.alice, 'admin limits set alice --rpm 5');
    const raised = await env.request(models());
    assert.equal(raised.status, 200, raised.text);
    assert.equal(raised.headers['x-ratelimit-limit-requests'], '5');
    // A changed limit starts a fresh budget of the new size: lowered to 1, one request, then 429.
    await env.ok(env.alice, 'admin limits set alice --rpm 1');
    assert.equal((await env.request(models())).status, 200);
    const lowered = await env.request(models());
    assert.equal(lowered.status, 429, 'a lowered limit applies at once too');
    assert.equal(lowered.headers['x-ratelimit-limit-requests'], '1');
    await env.ok(env.alice, 'admin limits set alice --reset');
    assert.equal((await env.request(models())).status, 200);
  });
});

/** A mock upstream whose streams stay open (one event sent) until the test lets each go. */
function holdStreams(): { let(i: number, how: 'end' | 'reset'): void; held: number } {
  const gates: ((how: 'end' | 'reset') => void)[] = [];
  env.mock.setHandler(async (ctx: MockContext) => {
    ctx.res.writeHead(200, { 'content-type': 'text/event-stream' });
    ctx.res.write(`data: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', choices: [{ index: 0, delta: { content: 'Hi' } }] })}\n\n`);
    const how = await new Promise<'end' | 'reset' | 'gone'>((resolve) => {
      gates.push(resolve);
      ctx.signal.addEventListener('abort', () => resolve('gone'));
    });
    if (how === 'reset') ctx.res.socket?.resetAndDestroy();
    else if (how === 'end') ctx.res.end('data: [DONE]\n\n');
    return true;
  });
  return {
    let: (i, how) => gates[i](how),
    get held() {
      return gates.length;
    },
  };
}

const STREAM: Req = { host: LLM, path: '/v1/chat/completions', body: { ...CHAT_BODY, stream: true } };

describe('issue 11 limits: requests in flight', () => {
  for (const ending of ['completes', 'client disconnects', 'upstream fails'] as const) {
    it(`issue 11 limits: a held stream counts against the concurrency limit until it ${ending}`, async () => {
      await env.ok(env.alice, 'admin limits set alice --concurrent 2');
      const streams = holdStreams();
      const a = await open(env.port, STREAM);
      const b = await open(env.port, STREAM);
      assert.equal(a.res.statusCode, 200);
      assert.equal(b.res.statusCode, 200);
      const third = await env.request(STREAM);
      assertLimited(third, 'openai', /concurrency limit reached: 2 requests in flight at once for your account/, 2);
      assert.equal((await env.request(models(BOB_VM))).status, 200, 'bob has slots of his own');

      const done = collect(a.res, a.req);
      if (ending === 'completes') streams.let(0, 'end');
      else if (ending === 'upstream fails') streams.let(0, 'reset');
      else {
        a.req.destroy();
        await env.mock.waitFor((r) => r[0].aborted); // the gateway saw the client go (its slot first)
      }
      const first = await done;
      if (ending === 'completes') assert.ok(first.ended && first.text.includes('[DONE]'));
      const next = await env.request(models());
      assert.equal(next.status, 200, `a slot came back after the stream ${ending}: ${next.text}`);
      streams.let(1, 'end');
      await collect(b.res, b.req);
    });
  }

  it('issue 11 limits: slots of refused and failed requests come back (no leak)', async () => {
    await env.ok(env.alice, 'admin limits set alice --concurrent 1');
    for (let i = 0; i < 5; i++) {
      // A refusal after admission (unknown integration), an upstream error and a success.
      assert.equal((await env.request({ host: intHost('nope'), path: '/v1/models' })).status, 404);
      env.mock.enqueue({ error: { status: 500, body: { error: { message: 'boom', type: 'server_error' } } } });
      assert.equal((await env.request({ host: LLM, path: '/v1/chat/completions', body: CHAT_BODY })).status, 500);
      assert.equal((await env.request({ host: LLM, path: '/v1/chat/completions', body: CHAT_BODY })).status, 200);
    }
    const shown = JSON.parse(await env.ok(env.alice, 'admin limits show alice --json'));
    assert.equal(shown.usage.in_flight, 0);
  });
});

describe('issue 11 limits: per API key', () => {
  it('issue 11 limits: a key has limits of its own and counts against its user too', async () => {
    const token = (out: string) => /gk_[A-Za-z0-9]{40}/.exec(out)![0];
    const ci = token(await env.ok(env.alice, 'keys create --name ci-limits'));
    const laptop = token(await env.ok(env.alice, 'keys create --name laptop-limits'));
    await env.ok(env.alice, 'admin limits set alice --key-rpm 2 --rpm 4');
    const withKey = (key: string) => models('127.0.0.1', { authorization: `Bearer ${key}` });
    for (let i = 0; i < 2; i++) assert.equal((await env.request(withKey(ci))).status, 200);
    const refused = await env.request(withKey(ci));
    assertLimited(refused, 'openai', /2 requests per minute for API key "ci-limits"/);
    assert.equal(refused.headers['x-ratelimit-limit-requests'], '2');
    // Another key of hers has its own bucket; her VM shares the user's (4: two left).
    assert.equal((await env.request(withKey(laptop))).status, 200);
    assert.equal((await env.request(models())).status, 200);
    const user = await env.request(withKey(laptop));
    assertLimited(user, 'openai', /4 requests per minute for your account/);
    assert.equal(user.headers['x-ratelimit-limit-requests'], '4');
    assert.equal((await env.request(models(BOB_VM))).status, 200, 'bob is untouched');
    await env.ok(env.alice, 'keys revoke ci-limits');
    await env.ok(env.alice, 'keys revoke laptop-limits');
  });
});

describe('issue 11 limits: hostile callers', () => {
  it('issue 11 limits: 300 refused requests at once leave another user answered quickly', async () => {
    await env.ok(env.alice, 'admin limits set alice --rpm 1 --concurrent 1');
    const flood = Array.from({ length: 300 }, () => env.request({ host: LLM, path: '/v1/chat/completions', body: CHAT_BODY }).catch(() => undefined));
    const started = performance.now();
    const r = await env.request(models(BOB_VM));
    assert.equal(r.status, 200);
    const ms = performance.now() - started;
    const replies = await Promise.all(flood);
    assert.ok(replies.filter((x) => x?.status === 429).length >= 298, 'the flood was refused');
    assert.ok(ms < 1000, `bob answered in ${ms.toFixed(0)} ms`);
    assert.ok(env.mock.requests.length <= 1, 'at most the admitted one went upstream');
  });
});
