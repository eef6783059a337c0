// The official SDKs, unmodified, from inside a VM (issue #4): `openai` and `@anthropic-ai/sdk`
// pointed at the gateway with a dummy key, streaming and not, on the metadata path and on an
// integration hostname. Their connections leave from the VM's address (127.0.0.2); the dummy key
// never reaches upstream, and gateway refusals parse as the SDKs' own error classes.
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { type Agent, fetch as undiciFetch } from 'undici';
import { OPERATOR_KEYS, startGatewayEnv, UNKNOWN, type GatewayEnv } from '../helpers/gateway.js';
import { readResponsesStream, vmDispatcher } from '../helpers/sdk.js';

const DUMMY = 'dummy-key-from-the-vm';
let env: GatewayEnv;
const agents: Agent[] = [];

/** A fetch whose connections leave from `from`, and which resolves *.localhost to 127.0.0.1. */
function fetchFrom(from: string): typeof fetch {
  const dispatcher = vmDispatcher(from);
  agents.push(dispatcher);
  return ((input: any, init: any) => undiciFetch(input, { ...init, dispatcher })) as unknown as typeof fetch;
}

before(async () => (env = await startGatewayEnv()));
after(async () => {
  await Promise.all(agents.map((a) => a.close()));
  await env.stop();
});
beforeEach(() => env.mock.reset());

/** Nothing the VM's SDK sent as a credential reached upstream. */
function dummyNeverUpstream(): void {
  assert.ok(env.mock.requests.length > 0);
  for (const r of env.mock.requests) assert.ok(!JSON.stringify(r).includes(DUMMY), `dummy key leaked in ${r.url}`);
}

describe('openai SDK', () => {
  const client = (baseURL: string, from = '127.0.0.2') => new OpenAI({ apiKey: DUMMY, baseURL, maxRetries: 0, fetch: fetchFrom(from) });
  const metadata = () => client(`http://127.0.0.1:${env.port}/gateway/llm/openai/v1`);
  const hostname = () => client(`http://llm.int.gatehouse.localhost:${env.port}/v1`);

  it('chat.completions.create, not streamed', async () => {
    const completion = await metadata().chat.completions.create({ model: 'gpt-5.5', messages: [{ role: 'user', content: 'hi' }] });
    assert.equal(completion.choices[0].message.content, 'Hello token1 token2');
    assert.equal(completion.usage?.completion_tokens, 15);
    assert.equal(env.mock.requests[0].headers.authorization, `Bearer ${OPERATOR_KEYS.openai}`);
    dummyNeverUpstream();
  });

  it('chat.completions.create, streamed with include_usage: content, then a usage chunk', async () => {
    const stream = await metadata().chat.completions.create({ model: 'gpt-5.5', messages: [{ role: 'user', content: 'hi' }], stream: true, stream_options: { include_usage: true } });
    let text = '';
    let usage: OpenAI.CompletionUsage | undefined | null;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta?.content ?? '';
      usage = chunk.usage ?? usage;
    }
    assert.equal(text, 'Hello token1 token2');
    assert.equal(usage?.prompt_tokens, 25);
    dummyNeverUpstream();
  });

  it('chat.completions.create, streamed without include_usage: the client sees no usage chunk', async () => {
    const stream = await hostname().chat.completions.create({ model: 'gpt-5.5', messages: [{ role: 'user', content: 'hi' }], stream: true });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    assert.equal(chunks.map((c) => c.choices[0]?.delta?.content ?? '').join(''), 'Hello token1 token2');
    assert.ok(chunks.every((c) => c.choices.length > 0 && !c.usage), 'no usage-only chunk the client did not ask for');
  });

  it('responses.create, streamed and not (Codex’s API)', async () => {
    const oai = hostname();
    const response = await oai.responses.create({ model: 'gpt-5.5', input: 'hi', store: false, prompt_cache_key: 'k' });
    assert.equal(response.output_text, 'Hello token1 token2');
    const { text, completed } = await readResponsesStream(await oai.responses.create({ model: 'gpt-5.5', input: 'hi', stream: true }));
    assert.equal(text, 'Hello token1 token2');
    assert.ok(completed);
    assert.equal(env.mock.requests[0].json.prompt_cache_key, 'k');
    dummyNeverUpstream();
  });

  it('embeddings.create (base64 by default) and models.list on the hostname', async () => {
    const oai = hostname();
    const e = await oai.embeddings.create({ model: 'text-embedding-3-small', input: ['a', 'b'] });
    assert.equal(e.data.length, 2);
    assert.equal(e.data[0].embedding.length, 8);
    const ids = [];
    for await (const m of oai.models.list()) ids.push(m.id);
    assert.ok(ids.includes('gpt-5.5') && ids.includes('anthropic/claude-opus-5-5'));
  });

  it('a Claude model through the OpenAI SDK on the hostname goes to Anthropic with the operator’s key', async () => {
    await hostname().chat.completions.create({ model: 'claude-haiku-4-5', messages: [{ role: 'user', content: 'hi' }] });
    assert.equal(env.mock.requests[0].headers['x-api-key'], OPERATOR_KEYS.anthropic);
    dummyNeverUpstream();
  });

  it('a refusal parses as the SDK’s own error (401 from an unknown address)', async () => {
    const oai = client(`http://127.0.0.1:${env.port}/gateway/llm/openai/v1`, UNKNOWN);
    await assert.rejects(oai.chat.completions.create({ model: 'gpt-5.5', messages: [] }), (err: unknown) => {
      assert.ok(err instanceof OpenAI.AuthenticationError, String(err));
      assert.match(err.message, /not a registered VM/);
      assert.ok(err.headers?.get('x-gatehouse-request-id'));
      return true;
    });
    assert.equal(env.mock.requests.length, 0);
  });
});

describe('@anthropic-ai/sdk', () => {
  const client = (options: { baseURL: string; from?: string; bearer?: boolean }) =>
    new Anthropic({ ...(options.bearer ? { authToken: DUMMY } : { apiKey: DUMMY }), baseURL: options.baseURL, maxRetries: 0, fetch: fetchFrom(options.from ?? '127.0.0.2') });
  const metadata = (bearer = false) => client({ baseURL: `http://127.0.0.1:${env.port}/gateway/llm/anthropic`, bearer });
  const hostname = () => client({ baseURL: `http://llm.int.gatehouse.localhost:${env.port}` });
  const params = { model: 'claude-sonnet-5-5', max_tokens: 64, messages: [{ role: 'user' as const, content: 'hi' }] };

  for (const bearer of [false, true]) {
    it(`messages.create with the dummy key as ${bearer ? 'Authorization: Bearer' : 'x-api-key'}`, async () => {
      const message = await metadata(bearer).messages.create(params);
      assert.equal(message.type, 'message');
      assert.deepEqual(message.content, [{ type: 'text', text: 'Hello token1 token2' }]);
      assert.equal(env.mock.requests[0].headers['x-api-key'], OPERATOR_KEYS.anthropic);
      assert.equal(env.mock.requests[0].headers.authorization, undefined);
      assert.match(env.mock.requests[0].headers['anthropic-version'], /^\d{4}-\d{2}-\d{2}$/);
      dummyNeverUpstream();
    });
  }

  it('messages.stream on the hostname: text, final message and usage', async () => {
    const stream = hostname().messages.stream(params);
    const deltas: string[] = [];
    stream.on('text', (t) => deltas.push(t));
    const final = await stream.finalMessage();
    assert.deepEqual(deltas, ['Hello', ' token1', ' token2']);
    assert.equal(final.usage.output_tokens, 15);
    assert.equal(final.usage.input_tokens, 25);
    dummyNeverUpstream();
  });

  it('countTokens and beta.messages reach Anthropic, the betas intact', async () => {
    const claude = hostname();
    const count = await claude.messages.countTokens({ model: params.model, messages: params.messages });
    assert.equal(count.input_tokens, 25);
    const beta = await claude.beta.messages.create({ ...params, betas: ['interleaved-thinking-2025-05-14', 'context-management-2025-06-27'] });
    assert.equal(beta.type, 'message');
    const rec = env.mock.requests.at(-1)!;
    assert.equal(rec.path, '/v1/messages');
    assert.equal(rec.headers['anthropic-beta'], 'interleaved-thinking-2025-05-14,context-management-2025-06-27');
    dummyNeverUpstream();
  });

  it('models.list on the hostname answers in Anthropic shape', async () => {
    const ids = [];
    for await (const m of hostname().models.list()) ids.push(m.id);
    assert.ok(ids.includes('claude-opus-5-5'));
    assert.ok(!ids.some((id) => /^(anthropic|openai|fireworks|gemini)\//.test(id)), 'bare ids only');
    assert.equal(env.mock.requests.length, 0);
  });

  it('refusals parse as the SDK’s own errors (401 unknown address, 400 unpriced model)', async () => {
    const stranger = client({ baseURL: `http://llm.int.gatehouse.localhost:${env.port}`, from: UNKNOWN });
    await assert.rejects(stranger.messages.create(params), (err: unknown) => {
      assert.ok(err instanceof Anthropic.AuthenticationError, String(err));
      assert.match(err.message, /not a registered VM/);
      return true;
    });
    await assert.rejects(hostname().messages.create({ ...params, model: 'claude-unknown-1' }), (err: unknown) => {
      assert.ok(err instanceof Anthropic.BadRequestError, String(err));
      assert.match(err.message, /claude-unknown-1/);
      return true;
    });
    assert.equal(env.mock.requests.length, 0);
  });
});
