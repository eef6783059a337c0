// Usage readers per API shape (issue #5): every recorded fixture, fed through the real readers
// of src/providers/usage.ts, gives exactly the numbers test/fixtures/README.md declares.
// Here the SSE framing is parsed by the test itself; test/metering/meter.test.ts feeds the same
// bytes through the gateway's Meter with real (and awkward) chunk boundaries.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { apiOf, emptyUsage, isCharged, isUsageOnlyChunk, outputCap, usageReader, type Api, type Usage } from '../../src/providers/usage.js';
import { FIXTURES, fixtureBytes, fixtureFiles, tokensOf as tokens, type FixtureCase } from '../metering/helpers.js';

const NONE = { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 };

/** A plain SSE framer, independent of the gateway's: blank line ends an event (LF or CRLF). */
function sseEvents(text: string): Array<{ event?: string; data: string }> {
  const out: Array<{ event?: string; data: string }> = [];
  for (const block of text.split(/\r?\n\r?\n/)) {
    let event: string | undefined;
    const data: string[] = [];
    for (const line of block.split(/\r?\n/)) {
      if (line.startsWith('event:')) event = line.slice(6).trim();
      else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
    }
    if (data.length) out.push({ event, data: data.join('\n') });
  }
  return out;
}

function readFixture(c: FixtureCase): Usage {
  const reader = usageReader(c.api);
  const acc = emptyUsage();
  const text = fixtureBytes(c.file).toString('utf8');
  if (c.file.endsWith('.json')) reader.fromJson(JSON.parse(text), acc);
  else for (const e of sseEvents(text)) if (e.data.startsWith('{')) reader.fromEvent(e.event, JSON.parse(e.data), acc);
  return acc;
}


describe('usage readers on the recorded fixtures (issue #5)', () => {
  for (const c of FIXTURES) {
    it(`${c.file}: ${JSON.stringify(c.usage)}`, () => {
      const u = readFixture(c);
      assert.deepEqual(tokens(u), c.usage);
      if (c.model) assert.equal(u.model, c.model);
    });
  }

  it('every fixture file is covered by the table', () => {
    const usageFiles = fixtureFiles().filter((f) => !/error-/.test(f));
    assert.deepEqual(usageFiles.sort(), FIXTURES.map((c) => c.file).sort());
  });
});

describe('usage readers: each token counted once', () => {
  it('Anthropic: the final message_delta is authoritative, never added to message_start', () => {
    const r = usageReader('messages');
    const acc = emptyUsage();
    r.fromEvent('message_start', { type: 'message_start', message: { model: 'claude-opus-5-5', usage: { input_tokens: 10, cache_creation_input_tokens: 100, cache_read_input_tokens: 200, output_tokens: 1 } } }, acc);
    r.fromEvent('message_delta', { type: 'message_delta', usage: { output_tokens: 50 } }, acc);
    assert.deepEqual(tokens(acc), { input: 10, output: 50, cacheRead: 200, cacheWrite: 100 });
    // A newer delta repeats every count (cumulative); a changed count replaces the earlier one.
    r.fromEvent('message_delta', { type: 'message_delta', usage: { input_tokens: 12, cache_creation_input_tokens: 100, cache_read_input_tokens: 200, output_tokens: 60 } }, acc);
    assert.deepEqual(tokens(acc), { input: 12, output: 60, cacheRead: 200, cacheWrite: 100 });
  });

  it('Anthropic: ping, content deltas and errors change nothing', () => {
    const r = usageReader('messages');
    const acc = emptyUsage();
    r.fromEvent('ping', { type: 'ping' }, acc);
    r.fromEvent('content_block_delta', { type: 'content_block_delta', delta: { type: 'text_delta', text: '"usage":{"output_tokens":9}' } }, acc);
    r.fromEvent('error', { type: 'error', error: { type: 'overloaded_error' } }, acc);
    assert.deepEqual(tokens(acc), NONE);
  });

  it('OpenAI chat: "usage": null chunks do not reset what the usage chunk said, whatever the order', () => {
    const r = usageReader('chat');
    const acc = emptyUsage();
    r.fromEvent(undefined, { choices: [{ delta: { content: 'x' } }], usage: null }, acc);
    r.fromEvent(undefined, { choices: [], usage: { prompt_tokens: 100, completion_tokens: 7, prompt_tokens_details: { cached_tokens: 64 } } }, acc);
    r.fromEvent(undefined, { choices: [{ delta: {} }], usage: null }, acc);
    assert.deepEqual(tokens(acc), { input: 36, output: 7, cacheRead: 64, cacheWrite: 0 });
  });

  it('OpenAI chat: no prompt_tokens_details means nothing cached', () => {
    const acc = emptyUsage();
    usageReader('chat').fromJson({ usage: { prompt_tokens: 40, completion_tokens: 2 } }, acc);
    assert.deepEqual(tokens(acc), { input: 40, output: 2, cacheRead: 0, cacheWrite: 0 });
  });

  for (const kind of ['response.completed', 'response.incomplete', 'response.failed']) {
    it(`Responses: ${kind} carries the usage (input minus cached)`, () => {
      const r = usageReader('responses');
      const acc = emptyUsage();
      r.fromEvent('response.created', { type: 'response.created', response: { model: 'gpt-5.5', usage: null } }, acc);
      r.fromEvent(kind, { type: kind, response: { model: 'gpt-5.5', usage: { input_tokens: 900, input_tokens_details: { cached_tokens: 800 }, output_tokens: 30 } } }, acc);
      assert.deepEqual(tokens(acc), { input: 100, output: 30, cacheRead: 800, cacheWrite: 0 });
      assert.equal(acc.model, 'gpt-5.5');
    });
  }

  it('Gemini: the last usageMetadata wins (chunks are running totals, not increments)', () => {
    const r = usageReader('generate_content');
    const acc = emptyUsage();
    r.fromEvent(undefined, { usageMetadata: { promptTokenCount: 50, thoughtsTokenCount: 20 } }, acc);
    r.fromEvent(undefined, { usageMetadata: { promptTokenCount: 50, thoughtsTokenCount: 20 } }, acc);
    r.fromEvent(undefined, { usageMetadata: { promptTokenCount: 50, cachedContentTokenCount: 30, candidatesTokenCount: 5, thoughtsTokenCount: 20 } }, acc);
    assert.deepEqual(tokens(acc), { input: 20, output: 25, cacheRead: 30, cacheWrite: 0 });
  });

  it('Gemini: tool-use prompt tokens (grounding results) are input too', () => {
    const acc = emptyUsage();
    usageReader('generate_content').fromJson({ usageMetadata: { promptTokenCount: 100, cachedContentTokenCount: 40, toolUsePromptTokenCount: 250, candidatesTokenCount: 9, totalTokenCount: 359 } }, acc);
    assert.deepEqual(tokens(acc), { input: 310, output: 9, cacheRead: 40, cacheWrite: 0 });
    assert.equal(acc.input + acc.cacheRead + acc.output, 359, 'every token of the total, once');
  });

  it('Gemini: a non-SSE stream (a JSON array of responses) is read, last usageMetadata winning', () => {
    const acc = emptyUsage();
    usageReader('generate_content').fromJson(
      [{ usageMetadata: { promptTokenCount: 11, thoughtsTokenCount: 132 } }, { usageMetadata: { promptTokenCount: 11, candidatesTokenCount: 40, thoughtsTokenCount: 132 }, modelVersion: 'gemini-2.5-flash' }] as never,
      acc,
    );
    assert.deepEqual(tokens(acc), { input: 11, output: 172, cacheRead: 0, cacheWrite: 0 });
    assert.equal(acc.model, 'gemini-2.5-flash');
  });

  it('negative and non-numeric counts are not trusted', () => {
    const acc = emptyUsage();
    usageReader('messages').fromJson({ usage: { input_tokens: -5, output_tokens: 'lots', cache_read_input_tokens: 7, cache_creation_input_tokens: null } }, acc);
    assert.deepEqual(tokens(acc), { input: 0, output: 0, cacheRead: 7, cacheWrite: 0 });
  });
});

describe('which APIs are charged', () => {
  const cases: Array<[string, Api]> = [
    ['/v1/messages', 'messages'],
    ['/v1/messages/count_tokens', 'count_tokens'],
    ['/v1/chat/completions', 'chat'],
    ['/inference/v1/chat/completions', 'chat'],
    ['/v1/responses', 'responses'],
    ['/v1/embeddings', 'embeddings'],
    ['/v1beta/models/gemini-2.5-flash:generateContent', 'generate_content'],
    ['/v1/models/gemini-2.5-flash:streamGenerateContent', 'generate_content'],
    ['/v1beta/models/gemini-2.5-flash:countTokens', 'count_tokens'],
    ['/v1/models', 'other'],
  ];
  for (const [path, api] of cases) it(`${path} is ${api}`, () => assert.equal(apiOf(path), api));

  it('count_tokens/countTokens and unknown APIs are never charged; model calls are', () => {
    assert.equal(isCharged('count_tokens'), false);
    assert.equal(isCharged('other'), false);
    for (const api of ['messages', 'chat', 'responses', 'embeddings', 'generate_content'] as Api[]) assert.equal(isCharged(api), true, api);
  });

  it('a count is not usage: count_tokens fixtures read as nothing, even through the messages reader shape', () => {
    const acc = emptyUsage();
    usageReader('count_tokens').fromJson(JSON.parse(fixtureBytes('anthropic/count-tokens.json').toString()), acc);
    usageReader('count_tokens').fromJson(JSON.parse(fixtureBytes('gemini/count-tokens.json').toString()), acc);
    assert.deepEqual(tokens(acc), NONE);
  });
});

describe('request fields the meter relies on', () => {
  it('outputCap reads every API’s name for the output cap', () => {
    assert.equal(outputCap({ max_tokens: 100 }), 100);
    assert.equal(outputCap({ max_completion_tokens: 200 }), 200);
    assert.equal(outputCap({ max_output_tokens: 300 }), 300);
    assert.equal(outputCap({ generationConfig: { maxOutputTokens: 400 } }), 400);
    assert.equal(outputCap({ max_tokens: -1 }), undefined);
    assert.equal(outputCap(undefined), undefined);
  });

  it('isUsageOnlyChunk: OpenAI’s final empty-choices chunk, not Fireworks’ finish chunk', () => {
    assert.equal(isUsageOnlyChunk({ choices: [], usage: { prompt_tokens: 1 } }), true);
    assert.equal(isUsageOnlyChunk({ choices: [{ delta: {}, finish_reason: 'stop' }], usage: { prompt_tokens: 1 } }), false);
    assert.equal(isUsageOnlyChunk({ choices: [], usage: null }), false);
  });
});
