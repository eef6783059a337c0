// One usage row per gateway request, for every provider and API, JSON and SSE (issue #5): the
// mock upstream declares the usage, the row must hold exactly it, at the catalog's prices.
// Rows are read from the SQLite file after `usage` over SSH (which flushes the writer).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DATABASES } from '../helpers/databases.js';
import type { Scenario } from '../fixtures/mockProvider.js';
import { type KeyPair } from '../helpers/ssh.js';
import { catalogPrice, closeAgents, okJson, send, startWorld, until, usageRows, userWithVm, type Reply, type Tokens, type World } from './helpers.js';

for (const database of DATABASES) {
  describe(`usage rows (${database.name})`, () => {
    let world: World;
    let alice: KeyPair;

    before(async () => {
      world = await startWorld(await database.env());
      alice = await userWithVm(world.gh, 'alice', '127.0.0.2', 'devbox');
    });
    after(async () => {
      closeAgents();
      await world.stop();
    });

    const ANTHROPIC = { 'anthropic-version': '2023-06-01' };

    function scenario(s: Scenario): Record<string, string> {
      return { 'x-mock-scenario': JSON.stringify(s) };
    }

    /** The usage row of a reply (by x-gatehouse-request-id), after flushing through `usage`. */
    async function rowOf(reply: Reply): Promise<any> {
      const id = String(reply.headers['x-gatehouse-request-id']);
      return until(async () => {
        await okJson(world.gh.sshPort, alice, 'usage');
        return (await usageRows(world.gh)).find((r) => r.request_id === id);
      }, `usage row of ${id}`);
    }

    function tokensOfRow(r: any): Tokens {
      return { input: r.input_tokens, output: r.output_tokens, cacheRead: r.cache_read_tokens, cacheWrite: r.cache_write_tokens };
    }

    interface Case {
      name: string;
      path: string;
      body: unknown;
      headers?: Record<string, string>;
      declared: Scenario['usage'];
      tokens: Tokens;
      model: string;
      api: string;
      provider: string;
      /** Catalog prices (USD per 1M tokens) the hand computation below uses; checked against the file. */
      price: [input: number, output: number, cacheRead: number, cacheWrite: number];
      /** By hand: tokens × price, rounded to whole micro-dollars. */
      cost: number;
    }

    const chat = (model: string, extra: Record<string, unknown> = {}) => ({ model, messages: [{ role: 'user', content: 'hi' }], ...extra });

    const CASES: Case[] = [
      {
        name: 'Anthropic messages, JSON, cache write and read',
        path: '/gateway/llm/anthropic/v1/messages', headers: ANTHROPIC, body: { model: 'claude-sonnet-5-5', max_tokens: 100, messages: [{ role: 'user', content: 'hi' }] },
        declared: { input: 100, output: 50, cacheRead: 1000, cacheWrite: 200 }, tokens: { input: 100, output: 50, cacheRead: 1000, cacheWrite: 200 },
        model: 'claude-sonnet-5-5', api: 'messages', provider: 'anthropic', price: [2, 10, 0.2, 2.5],
        cost: 1400, // 100×2 + 50×10 + 1000×0.2 + 200×2.5 = 200 + 500 + 200 + 500
      },
      {
        name: 'Anthropic messages, SSE',
        path: '/gateway/llm/anthropic/v1/messages', headers: ANTHROPIC, body: { model: 'claude-sonnet-5-5', max_tokens: 100, stream: true, messages: [{ role: 'user', content: 'hi' }] },
        declared: { input: 100, output: 50, cacheRead: 1000, cacheWrite: 200 }, tokens: { input: 100, output: 50, cacheRead: 1000, cacheWrite: 200 },
        model: 'claude-sonnet-5-5', api: 'messages', provider: 'anthropic', price: [2, 10, 0.2, 2.5], cost: 1400,
      },
      {
        name: 'OpenAI chat, JSON, cached prompt tokens',
        path: '/gateway/llm/openai/v1/chat/completions', body: chat('gpt-5.5'),
        declared: { input: 300, output: 40, cacheRead: 1024, reasoning: 16 }, tokens: { input: 300, output: 40, cacheRead: 1024, cacheWrite: 0 },
        model: 'gpt-5.5', api: 'chat', provider: 'openai', price: [5, 30, 0.5, 0],
        cost: 3212, // 300×5 + 40×30 + 1024×0.5 = 1500 + 1200 + 512
      },
      {
        name: 'OpenAI chat, SSE with include_usage',
        path: '/gateway/llm/openai/v1/chat/completions', body: chat('gpt-5.5', { stream: true, stream_options: { include_usage: true } }),
        declared: { input: 300, output: 40, cacheRead: 1024 }, tokens: { input: 300, output: 40, cacheRead: 1024, cacheWrite: 0 },
        model: 'gpt-5.5', api: 'chat', provider: 'openai', price: [5, 30, 0.5, 0], cost: 3212,
      },
      {
        name: 'OpenAI chat, SSE without include_usage (the gateway asks for it)',
        path: '/gateway/llm/openai/v1/chat/completions', body: chat('gpt-5.5', { stream: true }),
        declared: { input: 300, output: 40, cacheRead: 1024 }, tokens: { input: 300, output: 40, cacheRead: 1024, cacheWrite: 0 },
        model: 'gpt-5.5', api: 'chat', provider: 'openai', price: [5, 30, 0.5, 0], cost: 3212,
      },
      {
        name: 'OpenAI Responses, SSE (response.completed)',
        path: '/gateway/llm/openai/v1/responses', body: { model: 'gpt-6.1-sol', input: 'hi', stream: true },
        declared: { input: 262, output: 118, cacheRead: 2048, reasoning: 64 }, tokens: { input: 262, output: 118, cacheRead: 2048, cacheWrite: 0 },
        model: 'gpt-6.1-sol', api: 'responses', provider: 'openai', price: [2, 10, 0.1, 0],
        cost: 1909, // 262×2 + 118×10 + 2048×0.1 = 524 + 1180 + 204.8 = 1908.8
      },
      {
        name: 'OpenAI Responses, JSON',
        path: '/gateway/llm/openai/v1/responses', body: { model: 'gpt-6.1-sol', input: 'hi' },
        declared: { input: 346, output: 312, cacheRead: 4864 }, tokens: { input: 346, output: 312, cacheRead: 4864, cacheWrite: 0 },
        model: 'gpt-6.1-sol', api: 'responses', provider: 'openai', price: [2, 10, 0.1, 0],
        cost: 4298, // 346×2 + 312×10 + 4864×0.1 = 692 + 3120 + 486.4 = 4298.4
      },
      {
        name: 'OpenAI embeddings',
        path: '/gateway/llm/openai/v1/embeddings', body: { model: 'text-embedding-3-small', input: 'hello' },
        declared: { input: 5000 }, tokens: { input: 5000, output: 0, cacheRead: 0, cacheWrite: 0 },
        model: 'text-embedding-3-small', api: 'embeddings', provider: 'openai', price: [0.02, 0, 0.02, 0],
        cost: 100, // 5000×0.02
      },
      {
        name: 'Fireworks chat, SSE (usage on the finish chunk)',
        path: '/gateway/llm/fireworks/inference/v1/chat/completions', body: chat('accounts/fireworks/models/deepseek-v3', { stream: true }),
        declared: { input: 250, output: 19, cacheRead: 1280 }, tokens: { input: 250, output: 19, cacheRead: 1280, cacheWrite: 0 },
        model: 'accounts/fireworks/models/deepseek-v3', api: 'chat', provider: 'fireworks', price: [0.9, 0.9, 0.45, 0],
        cost: 818, // 250×0.9 + 19×0.9 + 1280×0.45 = 225 + 17.1 + 576 = 818.1
      },
      {
        name: 'Fireworks chat, JSON',
        path: '/gateway/llm/fireworks/inference/v1/chat/completions', body: chat('accounts/fireworks/models/llama-v3p3-70b-instruct'),
        declared: { input: 57, output: 23 }, tokens: { input: 57, output: 23, cacheRead: 0, cacheWrite: 0 },
        model: 'accounts/fireworks/models/llama-v3p3-70b-instruct', api: 'chat', provider: 'fireworks', price: [0.9, 0.9, 0.45, 0],
        cost: 72, // 57×0.9 + 23×0.9 = 51.3 + 20.7
      },
      {
        name: 'Gemini generateContent, JSON (cached content, thoughts)',
        path: '/gateway/llm/gemini/v1beta/models/gemini-2.5-pro:generateContent', body: { contents: [{ parts: [{ text: 'hi' }] }] },
        declared: { input: 24, output: 362, cacheRead: 4096, reasoning: 310 }, tokens: { input: 24, output: 362, cacheRead: 4096, cacheWrite: 0 },
        model: 'gemini-2.5-pro', api: 'generate_content', provider: 'gemini', price: [1.25, 10, 0.125, 0],
        cost: 4162, // 24×1.25 + 362×10 + 4096×0.125 = 30 + 3620 + 512
      },
      {
        name: 'Gemini streamGenerateContent?alt=sse',
        path: '/gateway/llm/gemini/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse', body: { contents: [{ parts: [{ text: 'hi' }] }] },
        declared: { input: 11, output: 172, reasoning: 132 }, tokens: { input: 11, output: 172, cacheRead: 0, cacheWrite: 0 },
        model: 'gemini-2.5-flash', api: 'generate_content', provider: 'gemini', price: [0.3, 2.5, 0.03, 0],
        cost: 433, // 11×0.3 + 172×2.5 = 3.3 + 430
      },
      {
        name: 'Gemini streamGenerateContent without alt=sse (a JSON array)',
        path: '/gateway/llm/gemini/v1/models/gemini-2.5-flash:streamGenerateContent', body: { contents: [{ parts: [{ text: 'hi' }] }] },
        declared: { input: 11, output: 172, reasoning: 132 }, tokens: { input: 11, output: 172, cacheRead: 0, cacheWrite: 0 },
        model: 'gemini-2.5-flash', api: 'generate_content', provider: 'gemini', price: [0.3, 2.5, 0.03, 0], cost: 433,
      },
      {
        name: 'Anthropic count_tokens: a request, never charged',
        path: '/gateway/llm/anthropic/v1/messages/count_tokens', headers: ANTHROPIC, body: { model: 'claude-sonnet-5-5', messages: [{ role: 'user', content: 'hi' }] },
        declared: { input: 2095 }, tokens: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 },
        model: 'claude-sonnet-5-5', api: 'count_tokens', provider: 'anthropic', price: [2, 10, 0.2, 2.5], cost: 0,
      },
      {
        name: 'Gemini countTokens: a request, never charged',
        path: '/gateway/llm/gemini/v1beta/models/gemini-2.5-flash:countTokens', body: { contents: [{ parts: [{ text: 'hi' }] }] },
        declared: { input: 31 }, tokens: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 },
        model: 'gemini-2.5-flash', api: 'count_tokens', provider: 'gemini', price: [0.3, 2.5, 0.03, 0], cost: 0,
      },
    ];

    describe('one usage row per request, exactly the upstream’s usage, at catalog prices (issue #5)', () => {
      for (const c of CASES) {
        it(c.name, async () => {
          const p = catalogPrice(c.model);
          assert.deepEqual([p.input, p.output, p.cache_read, p.cache_write], c.price, 'the prices the hand computation used');
          const before = world.mock.requests.length;
          const reply = await send(world.gh.gatewayPort, c.path, c.body, { headers: { ...c.headers, ...scenario({ usage: c.declared }) } });
          assert.equal(reply.status, 200, reply.body);
          assert.equal(world.mock.requests.length, before + 1);
          const row = await rowOf(reply);
          assert.deepEqual(tokensOfRow(row), c.tokens);
          assert.equal(row.cost_micros, c.cost);
          assert.equal(row.model, c.model);
          assert.equal(row.api, c.api);
          assert.equal(row.provider, c.provider);
          assert.equal(row.source, 'gateway');
          assert.equal(row.status, 200);
          assert.equal(row.vm_name, 'devbox');
          assert.equal(row.integration_name, 'llm');
          // ttfb is timed with performance.now() and latency with Date.now(), each rounded: allow 1 ms.
          assert.ok(row.latency_ms >= 0 && row.ttfb_ms >= 0 && row.ttfb_ms <= row.latency_ms + 1, `latency ${row.latency_ms}, ttfb ${row.ttfb_ms}`);
          assert.equal((await usageRows(world.gh)).filter((r) => r.request_id === row.request_id).length, 1, 'exactly one row');
        });
      }

      it('an upstream error is one row with its status, no tokens, no cost', async () => {
        const reply = await send(world.gh.gatewayPort, '/gateway/llm/anthropic/v1/messages', { model: 'claude-sonnet-5-5', max_tokens: 10, messages: [] }, {
          headers: { ...ANTHROPIC, ...scenario({ error: { status: 529, body: { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } } } }) },
        });
        assert.equal(reply.status, 529);
        const row = await rowOf(reply);
        assert.equal(row.status, 529);
        assert.deepEqual(tokensOfRow(row), { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 });
        assert.equal(row.cost_micros, 0);
      });
    });

    // ---------------------------------------------------------------------------------------------

    /** Random per-response values (ids, timestamps, obfuscation padding) replaced, framing kept. */
    function normalise(sse: string): string {
      return sse.replace(/"id":"[^"]*"/g, '"id":"X"').replace(/"created":\d+/g, '"created":0').replace(/"obfuscation":"[^"]*"/g, '"obfuscation":"X"');
    }

    describe('OpenAI chat streams without include_usage (issue #5)', () => {
      it('the client receives exactly what upstream sends a client that did not ask for usage', async () => {
        const body = chat('gpt-5.5', { stream: true });
        const usage = { input: 120, output: 9, cacheRead: 64 };
        const viaGateway = await send(world.gh.gatewayPort, '/gateway/llm/openai/v1/chat/completions', body, { headers: scenario({ usage, chunks: 4 }) });
        const upstreamSaw = world.mock.lastRequest()!;
        assert.equal(upstreamSaw.json.stream_options.include_usage, true, 'the gateway asked upstream for usage');
        const direct = await send(world.mock.port, '/v1/chat/completions', body, { headers: { authorization: 'Bearer sk-direct', ...scenario({ usage, chunks: 4 }) } });
        assert.equal(world.mock.lastRequest()!.json.stream_options, undefined);
        assert.doesNotMatch(direct.body, /"usage"/, 'upstream sends no usage to a client that did not ask');
        assert.equal(normalise(viaGateway.body), normalise(direct.body));
        assert.equal(viaGateway.headers['content-type'], direct.headers['content-type']);
        const row = await rowOf(viaGateway);
        assert.deepEqual(tokensOfRow(row), { input: 120, output: 9, cacheRead: 64, cacheWrite: 0 });
      });

      it('a client that asked for usage gets the usage chunk, untouched', async () => {
        const body = chat('gpt-5.5', { stream: true, stream_options: { include_usage: true } });
        const usage = { input: 120, output: 9, cacheRead: 64 };
        const viaGateway = await send(world.gh.gatewayPort, '/gateway/llm/openai/v1/chat/completions', body, { headers: scenario({ usage }) });
        const direct = await send(world.mock.port, '/v1/chat/completions', body, { headers: { authorization: 'Bearer sk-direct', ...scenario({ usage }) } });
        assert.match(viaGateway.body, /"choices":\[\],"usage":\{"prompt_tokens":184/);
        assert.equal(normalise(viaGateway.body), normalise(direct.body));
      });
    });

    describe('streams cut short are metered with what passed (issue #5)', () => {
      const stream = { model: 'claude-sonnet-5-5', max_tokens: 100, stream: true, messages: [{ role: 'user', content: 'hi' }] };
      const declared = { input: 40, output: 30, cacheWrite: 500, cacheRead: 0 };
      // message_start passed: input and cache counts, and the first output token; no message_delta.
      const seen: Tokens = { input: 40, output: 1, cacheRead: 0, cacheWrite: 500 };
      const seenCost = 40 * 2 + 1 * 10 + 500 * 2.5; // claude-sonnet-5-5: 80 + 10 + 1250

      // (A pause between deltas lets what was sent arrive before the RST, which discards unread bytes.)
      it('upstream resets the connection mid-stream', async () => {
        const reply = await send(world.gh.gatewayPort, '/gateway/llm/anthropic/v1/messages', stream, { headers: { ...ANTHROPIC, ...scenario({ usage: declared, chunks: 5, chunkDelayMs: 50, resetAfterChunk: 2 }) } });
        assert.equal(reply.status, 200);
        assert.match(reply.body, /event: message_start/);
        assert.doesNotMatch(reply.body, /message_delta/);
        assert.ok(world.mock.lastRequest()!.reset);
        const row = await rowOf(reply);
        assert.deepEqual(tokensOfRow(row), seen);
        assert.equal(row.cost_micros, seenCost);
      });

      it('the client disconnects mid-stream', async () => {
        const before = world.mock.requests.length;
        const reply = await send(world.gh.gatewayPort, '/gateway/llm/anthropic/v1/messages', stream, {
          headers: { ...ANTHROPIC, ...scenario({ usage: declared, chunks: 20, chunkDelayMs: 100 }) },
          abortAfterBytes: 1,
        });
        await world.mock.waitFor((r) => r.length > before && r[before].aborted, 5000);
        const row = await rowOf(reply);
        assert.deepEqual(tokensOfRow(row), seen);
        assert.equal(row.cost_micros, seenCost);
      });

      it('an OpenAI stream cut before its usage chunk: still one row, nothing invented', async () => {
        const reply = await send(world.gh.gatewayPort, '/gateway/llm/openai/v1/chat/completions', chat('gpt-5.5', { stream: true }), { headers: scenario({ usage: { input: 50, output: 5 }, chunks: 4, chunkDelayMs: 50, resetAfterChunk: 2 }) });
        const row = await rowOf(reply);
        assert.equal(row.status, 200);
        assert.deepEqual(tokensOfRow(row), { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 });
        assert.equal(row.cost_micros, 0);
      });
    });
  });
}
