// The gateway's Meter and UsageChunkHider over real bytes (issue #5): every recorded fixture,
// whole, split at every byte position (mid-event, mid-line, mid-CRLF, mid-UTF-8 character), in
// 1-byte chunks and in random chunks, gives exactly the usage test/fixtures/README.md declares.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Meter } from '../../src/gateway/meter.js';
import { askForUsage, UsageChunkHider } from '../../src/gateway/usageChunk.js';
import { usageReader, type Api, type Usage } from '../../src/providers/usage.js';
import { FIXTURES, fixtureBytes, tokensOf, type Tokens } from './helpers.js';

function contentType(file: string): string {
  return file.endsWith('.sse') ? 'text/event-stream; charset=utf-8' : 'application/json';
}

/** `needModel` false: the request named its model, so a JSON body's usage object is read alone. */
function meter(api: Api, type: string, chunks: Buffer[], needModel = true): Usage {
  const m = new Meter(usageReader(api), needModel);
  m.start(type);
  for (const c of chunks) m.feed(c);
  return m.finish();
}

function splitAt(bytes: Buffer, ...cuts: number[]): Buffer[] {
  const points = [0, ...cuts, bytes.length];
  return points.slice(1).map((end, i) => bytes.subarray(points[i], end));
}

function bytewise(bytes: Buffer): Buffer[] {
  return Array.from(bytes, (_, i) => bytes.subarray(i, i + 1));
}

/** Deterministic pseudo-random chunk sizes 1..64 (a failure reproduces). */
function randomChunks(bytes: Buffer, seed: number): Buffer[] {
  const out: Buffer[] = [];
  let s = seed;
  for (let i = 0; i < bytes.length; ) {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    const n = 1 + (s % 64);
    out.push(bytes.subarray(i, i + n));
    i += n;
  }
  return out;
}

/** Every position a chunk boundary can fall (each split in two), checked one by one. */
function everySplit(bytes: Buffer, check: (chunks: Buffer[], at: number) => void): void {
  for (let i = 1; i < bytes.length; i++) check(splitAt(bytes, i), i);
}

describe('Meter on the recorded fixtures (issue #5)', () => {
  for (const c of FIXTURES) {
    it(`${c.file}: whole, every split point, 1-byte and random chunks`, () => {
      const bytes = fixtureBytes(c.file);
      const type = contentType(c.file);
      const whole = meter(c.api, type, [bytes]);
      assert.deepEqual(tokensOf(whole), c.usage);
      if (c.model) assert.equal(whole.model, c.model);
      everySplit(bytes, (chunks, at) => assert.deepEqual(tokensOf(meter(c.api, type, chunks)), c.usage, `split at byte ${at}`));
      assert.deepEqual(tokensOf(meter(c.api, type, bytewise(bytes))), c.usage, '1-byte chunks');
      for (const seed of [1, 7, 42]) assert.deepEqual(tokensOf(meter(c.api, type, randomChunks(bytes, seed))), c.usage, `random chunks, seed ${seed}`);
      // The request named its model: only the events around the reader's marks are parsed (issue 18).
      everySplit(bytes, (chunks, at) => assert.deepEqual(tokensOf(meter(c.api, type, chunks, false)), c.usage, `model named, split at byte ${at}`));
      assert.deepEqual(tokensOf(meter(c.api, type, bytewise(bytes), false)), c.usage, 'model named, 1-byte chunks');
    });
  }

  it('issue 18: a text delta that quotes a usage object or an event type is not read as usage', () => {
    // Escaped inside the delta's string, the marks' quoted tokens cannot match; unquoted ones
    // (message_delta) make the event parsed for nothing, and its JSON says what it is.
    const decoy = JSON.stringify('"usage":{"prompt_tokens":999999} message_delta "usageMetadata":{"promptTokenCount":999999}');
    for (const [file, api] of [['anthropic/messages-stream.sse', 'messages'], ['openai/chat-stream-usage.sse', 'chat'], ['gemini/stream.sse', 'generate_content']] as const) {
      const c = FIXTURES.find((f) => f.file === file)!;
      const text = fixtureBytes(file).toString('utf8');
      // A copy of the first content event with the decoy as its text, put before the rest.
      const firstText = /"text":"[^"]*"|"content":"[^"]*"/.exec(text)!;
      const planted = text.replace(firstText[0], `${firstText[0].split(':')[0]}:${decoy}`);
      assert.notEqual(planted, text, file);
      const bytes = Buffer.from(planted, 'utf8');
      assert.deepEqual(tokensOf(meter(api, 'text/event-stream', [bytes], false)), c.usage, file);
      assert.deepEqual(tokensOf(meter(api, 'text/event-stream', bytewise(bytes), false)), c.usage, `${file}, 1-byte chunks`);
    }
  });

  it('Gemini CRLF framing: a boundary between \\r and \\n of the event end loses nothing', () => {
    const bytes = fixtureBytes('gemini/stream.sse');
    const end = bytes.indexOf('\r\n\r\n');
    assert.ok(end > 0);
    for (const cut of [end + 1, end + 2, end + 3]) {
      assert.deepEqual(tokensOf(meter('generate_content', 'text/event-stream', splitAt(bytes, cut))), { input: 11, output: 172, cacheRead: 0, cacheWrite: 0 });
    }
  });

  it('a multi-byte UTF-8 character split across chunks is decoded whole', () => {
    // A model id and text with 2-, 3- and 4-byte characters: every boundary inside them.
    const odd = 'claude-ünï-日本-😀';
    const text = fixtureBytes('anthropic/messages-stream.sse').toString('utf8').replace('"model":"claude-opus-5-5"', `"model":"${odd}"`).replace('The gateway', 'Ünïcödé 日本語 😀 gateway');
    const bytes = Buffer.from(text, 'utf8');
    const expected = { input: 14, output: 87, cacheRead: 0, cacheWrite: 3210 };
    const start = bytes.indexOf(Buffer.from('ü'));
    assert.ok(start > 0);
    everySplit(bytes, (chunks, at) => {
      const u = meter('messages', 'text/event-stream', chunks);
      assert.deepEqual(tokensOf(u), expected, `split at ${at}`);
      assert.equal(u.model, odd, `split at ${at}`);
    });
    const u = meter('messages', 'text/event-stream', bytewise(bytes));
    assert.equal(u.model, odd);
  });
});

describe('Meter on responses cut short', () => {
  const bytes = fixtureBytes('anthropic/messages-stream.sse');
  const text = bytes.toString('utf8');
  const startEnd = text.indexOf('\n\n') + 2;
  const deltaAt = text.indexOf('event: message_delta');
  const deltaDataEnd = text.indexOf('\n', text.indexOf('data:', deltaAt)) + 1;

  it('before message_delta: what message_start said (output so far)', () => {
    const seen = { input: 14, output: 2, cacheRead: 0, cacheWrite: 3210 };
    assert.deepEqual(tokensOf(meter('messages', 'text/event-stream', [bytes.subarray(0, startEnd)])), seen);
    assert.deepEqual(tokensOf(meter('messages', 'text/event-stream', [bytes.subarray(0, deltaAt + 40)])), seen, 'cut inside message_delta');
    assert.deepEqual(tokensOf(meter('messages', 'text/event-stream', [bytes.subarray(0, deltaDataEnd - 5)])), seen, 'cut inside its JSON');
  });

  it('a whole message_delta whose blank line never came still counts', () => {
    assert.deepEqual(tokensOf(meter('messages', 'text/event-stream', [bytes.subarray(0, deltaDataEnd)])), { input: 14, output: 87, cacheRead: 0, cacheWrite: 3210 });
    assert.deepEqual(tokensOf(meter('messages', 'text/event-stream', [bytes.subarray(0, deltaDataEnd - 1)])), { input: 14, output: 87, cacheRead: 0, cacheWrite: 3210 }, 'even without its newline');
  });

  it('nothing seen, nothing metered; a truncated JSON body is not trusted', () => {
    assert.deepEqual(tokensOf(meter('messages', 'text/event-stream', [])), { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 });
    const json = fixtureBytes('anthropic/messages.json');
    assert.deepEqual(tokensOf(meter('messages', 'application/json', [json.subarray(0, json.length - 10)])), { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 });
    assert.deepEqual(tokensOf(meter('messages', 'text/html', [Buffer.from('<html>502 Bad Gateway</html>')])), { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 });
  });
});

describe('Meter on Gemini’s non-SSE stream (one JSON array)', () => {
  const events = fixtureBytes('gemini/stream.sse').toString('utf8').split('\r\n\r\n').filter(Boolean).map((e) => e.replace(/^data: /, ''));
  const array = Buffer.from(`[${events.join(',\r\n')}]`);

  it('the last element’s usageMetadata is the total, at every split', () => {
    const expected: Tokens = { input: 11, output: 172, cacheRead: 0, cacheWrite: 0 };
    assert.deepEqual(tokensOf(meter('generate_content', 'application/json; charset=UTF-8', [array])), expected);
    everySplit(array, (chunks, at) => assert.deepEqual(tokensOf(meter('generate_content', 'application/json', chunks)), expected, `split at ${at}`));
  });

  it('cut short: the whole elements seen are metered', () => {
    const cut = array.subarray(0, array.length - 40);
    // The first two elements: prompt 11, thoughts 132, no candidates yet.
    for (const needModel of [true, false]) {
      assert.deepEqual(tokensOf(meter('generate_content', 'application/json', [cut], needModel)), { input: 11, output: 132, cacheRead: 0, cacheWrite: 0 });
    }
  });

  it('whole, with the model named by the request: the array is parsed whole all the same', () => {
    assert.deepEqual(tokensOf(meter('generate_content', 'application/json', [array], false)), { input: 11, output: 172, cacheRead: 0, cacheWrite: 0 });
  });
});

describe('Meter reading only the top-level usage of a JSON body (the request named its model)', () => {
  const json = (api: Api, text: string) => tokensOf(meter(api, 'application/json', [Buffer.from(text)], false));
  const none: Tokens = { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 };

  it('gives what the whole parse gives, on every JSON fixture', () => {
    for (const c of FIXTURES.filter((f) => f.file.endsWith('.json'))) {
      const bytes = fixtureBytes(c.file);
      assert.deepEqual(tokensOf(meter(c.api, 'application/json', [bytes], false)), c.usage, c.file);
      assert.deepEqual(tokensOf(meter(c.api, 'application/json', randomChunks(bytes, 3), false)), c.usage, `${c.file} in chunks`);
    }
  });

  it('takes the top-level usage, not a "usage" key inside a tool call or the text', () => {
    const body = {
      content: [{ type: 'tool_use', input: { usage: { input_tokens: 999, output_tokens: 999 } } }, { type: 'text', text: 'say "usage": {"input_tokens": 5}' }],
      usage: { input_tokens: 12, output_tokens: 34 },
    };
    assert.deepEqual(json('messages', JSON.stringify(body)), { ...none, input: 12, output: 34 });
    // Fields after usage (OpenAI's service_tier, Responses' metadata) are fine …
    assert.deepEqual(json('chat', '{"usage": {"prompt_tokens": 7, "completion_tokens": 3}, "service_tier": "default", "metadata": {"a": "b"}}\n'), { ...none, input: 7, output: 3 });
    // … a key that only ends in "usage (escaped quote) is not a usage key …
    assert.deepEqual(json('chat', '{"usage": {"prompt_tokens": 1}, "x \\"usage": {"prompt_tokens": 999}}'), { ...none, input: 1 });
    // … and a nested "usage" after the top-level one is not mistaken for it: the whole parse decides.
    assert.deepEqual(json('messages', '{"usage": {"input_tokens": 1, "output_tokens": 2}, "extra": {"usage": {"input_tokens": 50, "output_tokens": 60}}}'), { ...none, input: 1, output: 2 });
  });

  it('trusts nothing in a body cut short, even when its usage object arrived whole', () => {
    const whole = '{"model": "claude-sonnet-5-5", "usage": {"input_tokens": 12, "output_tokens": 34}, "stop_reason": "end_turn"}';
    for (let cut = whole.indexOf('}') + 1; cut < whole.length; cut++) assert.deepEqual(json('messages', whole.slice(0, cut)), none, `cut at ${cut}`);
    assert.deepEqual(json('messages', whole), { ...none, input: 12, output: 34 });
  });

  it('a body with no usage, or usage that is not an object, meters nothing', () => {
    assert.deepEqual(json('messages', '{"type": "error", "error": {"type": "overloaded_error"}}'), none);
    assert.deepEqual(json('chat', '{"usage": null}'), none);
    assert.deepEqual(json('chat', '{"usage": "lots"}'), none);
    assert.deepEqual(json('chat', 'not json "usage": {"prompt_tokens": 5}}'), none);
  });
});

describe('Meter on a huge JSON body', () => {
  it('usage at the end of a body larger than the 8 MiB copy is still read', () => {
    const vector = 'A'.repeat(1024 * 1024);
    const head = `{"object":"list","data":[${Array.from({ length: 10 }, (_, i) => `{"object":"embedding","index":${i},"embedding":"${vector}"}`).join(',')}],"model":"text-embedding-3-small",`;
    const body = Buffer.from(`${head}"usage":{"prompt_tokens":123456,"total_tokens":123456}}`);
    assert.ok(body.length > 8 * 1024 * 1024);
    const chunks = [];
    for (let i = 0; i < body.length; i += 65536) chunks.push(body.subarray(i, i + 65536));
    assert.deepEqual(tokensOf(meter('embeddings', 'application/json', chunks)), { input: 123456, output: 0, cacheRead: 0, cacheWrite: 0 });
  });
});

// ---------------------------------------------------------------------------------------------

function hide(chunks: Buffer[]): string {
  const h = new UsageChunkHider();
  const out = chunks.map((c) => h.push(c));
  out.push(h.end());
  return Buffer.concat(out).toString('utf8');
}

describe('UsageChunkHider: the client sees what it would have seen without include_usage', () => {
  const withUsage = fixtureBytes('openai/chat-stream-usage.sse');
  // By hand: drop the usage-only event (empty choices), and the "usage":null each chunk gained.
  const events = withUsage.toString('utf8').split(/(?<=\n\n)/);
  const expected = events
    .filter((e) => !e.includes('"choices":[],"usage":{'))
    .map((e) => e.replace('"usage":null,', ''))
    .join('');

  it('the expectation is sound: one event fewer, no usage anywhere, framing kept', () => {
    assert.equal(expected.split('\n\n').length, events.length);
    assert.doesNotMatch(expected, /"usage"/);
    assert.match(expected, /data: \[DONE\]\n\n$/);
  });

  it('whole, at every split point, 1-byte chunks', () => {
    assert.equal(hide([withUsage]), expected);
    everySplit(withUsage, (chunks, at) => assert.equal(hide(chunks), expected, `split at ${at}`));
    assert.equal(hide(bytewise(withUsage)), expected);
  });

  it('a stream without usage goes through byte for byte', () => {
    const plain = fixtureBytes('openai/chat-stream-no-usage.sse');
    everySplit(plain, (chunks, at) => assert.equal(hide(chunks), plain.toString('utf8'), `split at ${at}`));
  });

  it('Fireworks’ finish chunk (usage beside non-empty choices) is kept: its clients see it anyway', () => {
    const fw = fixtureBytes('fireworks/chat-stream-usage.sse');
    assert.equal(hide([fw]), fw.toString('utf8'));
  });

  it('multi-byte characters split across chunks come out intact', () => {
    const text = withUsage.toString('utf8').replace('"Streaming"', '"Strëaming 日本 😀"');
    const bytes = Buffer.from(text);
    const out = hide(bytewise(bytes));
    assert.match(out, /Strëaming 日本 😀/);
    assert.equal(out, hide([bytes]));
  });

  it('an OpenAI-compatible upstream that spaces its JSON is cleaned the same way', () => {
    const spaced = 'data: {"id": "x", "choices": [{"index": 0, "delta": {"content": "hi"}}], "usage": null}\n\n' +
      'data: {"id": "x", "usage": null, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}\n\n' +
      'data: {"id": "x", "choices": [], "usage": {"prompt_tokens": 3, "completion_tokens": 1}}\n\ndata: [DONE]\n\n';
    assert.equal(
      hide([Buffer.from(spaced)]),
      'data: {"id": "x", "choices": [{"index": 0, "delta": {"content": "hi"}}]}\n\n' + 'data: {"id": "x", "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}\n\n' + 'data: [DONE]\n\n',
    );
  });

  it('a usage-only chunk whose blank line never came is still hidden', () => {
    const cut = withUsage.toString('utf8').replace(/\n\ndata: \[DONE\]\n\n$/, '');
    assert.doesNotMatch(hide([Buffer.from(cut)]), /"usage"/);
  });
});

describe('askForUsage', () => {
  it('adds include_usage to a stream that lacks it, keeping the other stream_options', () => {
    const out = askForUsage({ model: 'gpt-5.5', stream: true, stream_options: { include_obfuscation: false } });
    assert.deepEqual(JSON.parse(out!.toString()), { model: 'gpt-5.5', stream: true, stream_options: { include_obfuscation: false, include_usage: true } });
    assert.equal(JSON.parse(askForUsage({ stream: true, stream_options: { include_usage: false } })!.toString()).stream_options.include_usage, true);
  });

  it('leaves alone what already carries usage: non-streams, and streams that asked', () => {
    assert.equal(askForUsage({ model: 'gpt-5.5' }), undefined);
    assert.equal(askForUsage({ stream: false }), undefined);
    assert.equal(askForUsage({ stream: true, stream_options: { include_usage: true } }), undefined);
  });
});
