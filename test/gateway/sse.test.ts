// Issue 11.6: the SSE framer passes whole events only, however upstream splits its bytes (LF and
// CRLF framing, a blank line split between chunks), holding back only the incomplete tail.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_HELD, SseFramer } from '../../src/gateway/sse.js';
import { fixtureBytes } from '../metering/helpers.js';

const FILES = ['anthropic/messages-stream.sse', 'openai/chat-stream-usage.sse', 'openai/responses-stream.sse', 'gemini/stream.sse'];
const atBoundary = (b: Buffer) => b.length === 0 || /(\n\n|\n\r\n)$/.test(b.toString('latin1'));

const wholeUpTo = (text: string) => text.slice(0, Math.max(0, ...[...text.matchAll(/\n\r?\n/g)].map((m) => m.index + m[0].length)));

/** Feeds `bytes` cut at `cuts`; returns every output and what was flushed at the end. */
function feed(bytes: Buffer, cuts: number[]): { outs: Buffer[]; rest: Buffer } {
  const framer = new SseFramer(true);
  const outs: Buffer[] = [];
  let from = 0;
  for (const at of [...cuts, bytes.length]) {
    outs.push(framer.push(bytes.subarray(from, at)));
    from = at;
  }
  return { outs, rest: framer.flush() };
}

describe('issue 11.6: SseFramer', () => {
  for (const file of FILES) {
    it(`${file}: split at every byte position, and byte by byte, the output is the input, in whole events`, () => {
      const bytes = fixtureBytes(file);
      const splits = [...Array.from({ length: bytes.length - 1 }, (_, i) => [i + 1]), Array.from({ length: bytes.length - 1 }, (_, i) => i + 1)];
      for (const cuts of splits) {
        const { outs, rest } = feed(bytes, cuts);
        assert.ok(outs.every(atBoundary), `an output ends inside an event (cuts ${cuts.length === 1 ? cuts[0] : 'every byte'})`);
        assert.equal(Buffer.concat([...outs, rest]).toString('latin1'), bytes.toString('latin1'));
        if (atBoundary(bytes)) assert.equal(rest.length, 0);
        // Nothing complete is held back: the first output is everything up to the last blank line before the cut.
        if (cuts.length === 1) assert.equal(outs[0].toString('latin1'), wholeUpTo(bytes.toString('latin1', 0, cuts[0])));
      }
    });
  }

  it('a chunk holding whole events is passed on as it is, not copied', () => {
    const chunk = Buffer.from('data: {"a":1}\n\ndata: {"b":2}\n\n');
    assert.equal(new SseFramer().push(chunk), chunk);
  });

  it('the Responses sequence number after the last whole event; 0 before any', () => {
    const framer = new SseFramer(true);
    assert.equal(framer.nextSequence(), 0);
    framer.push(Buffer.from('event: response.output_text.delta\ndata: {"type":"response.output_text.delta","sequence_number":41,"delta":"x"}\n\nevent: response.output_text.delta\ndata: {"sequence_number":42,"delta":"y'));
    assert.equal(framer.nextSequence(), 42);
  });

  it('an event larger than MAX_HELD passes on as it comes (memory stays bounded), off a boundary until its end', () => {
    const framer = new SseFramer();
    const piece = Buffer.alloc(64 * 1024, 'x');
    let passed = 0;
    for (let i = 0; passed === 0; i++) {
      assert.ok(i * piece.length <= MAX_HELD + piece.length, 'held beyond MAX_HELD');
      passed = framer.push(i === 0 ? Buffer.concat([Buffer.from('data: '), piece]) : piece).length;
    }
    assert.equal(framer.atBoundary, false);
    assert.equal(framer.push(piece).length, piece.length, 'the rest of the event passes too');
    assert.equal(framer.push(Buffer.from('x\n\ndata: {}')).toString(), 'x\n\n');
    assert.equal(framer.atBoundary, true);
  });
});
