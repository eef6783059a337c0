// The keyboard filter between the SSH channel and the line editor, fed chunk by chunk as a channel
// would. (Before issue 11.2 it was a stream that passed each key alone to node:readline; now it
// returns typed and pasted segments, and KeyQueue cuts typed text into runs of text and keys.)
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BracketedPaste, KeyQueue, splitKeys, type Segment } from '../../src/ssh/bracketedPaste.js';

/** Writes the chunks, ends the input, and returns the segments, typed ones as `t:` and pasted ones as `p:`. */
function feed(...chunks: (string | Buffer)[]): string[] {
  const filter = new BracketedPaste();
  const out: Segment[] = [];
  for (const c of chunks) out.push(...filter.write(typeof c === 'string' ? Buffer.from(c, 'utf8') : c));
  out.push(...filter.end());
  return out.map((s) => (s.paste ? 'p:' : 't:') + s.text);
}

function tokens(...texts: string[]): string[] {
  const queue = new KeyQueue();
  queue.push(texts.map((text) => ({ text, paste: false })));
  const out: string[] = [];
  for (let t = queue.next(); t; t = queue.next()) out.push(t.text !== undefined ? `text:${t.text}` : `key:${JSON.stringify(t.key)}`);
  assert.equal(queue.size, 0);
  return out;
}

describe('splitKeys', () => {
  it('splits typed input into single keys and whole escape sequences', () => {
    assert.deepEqual(splitKeys('ab\x1b[A\x1b[1;5C\x1bOH\x1bb\x1b\x1b[D\r\n'), ['a', 'b', '\x1b[A', '\x1b[1;5C', '\x1bOH', '\x1bb', '\x1b\x1b[D', '\r', '\n']);
  });

  it('keeps a character outside the BMP whole', () => {
    assert.deepEqual(splitKeys('é😀'), ['é', '😀']);
  });

  it('passes a sequence cut at the end as it is', () => {
    assert.deepEqual(splitKeys('x\x1b['), ['x', '\x1b[']);
  });
});

describe('KeyQueue', () => {
  it('cuts typed input into runs of printable text and single keys', () => {
    assert.deepEqual(tokens('ls é😀\x1b[A\tq\r', 'x\x1b\x1b[D'), ['text:ls é😀', 'key:"\\u001b[A"', 'key:"\\t"', 'text:q', 'key:"\\r"', 'text:x', 'key:"\\u001b\\u001b[D"']);
  });
});

describe('BracketedPaste', () => {
  it('passes typed text as it came', () => {
    assert.deepEqual(feed('ls\r'), ['t:ls\r']);
  });

  it('turns pasted line breaks and tabs into spaces and drops the markers', () => {
    assert.deepEqual(feed('\x1b[200~rm a\r\nrm\tb\n\x1b[201~'), ['p:rm a rm b ']);
  });

  it('drops control characters and escapes inside a paste: ^C, ^D, ESC never act', () => {
    assert.deepEqual(feed('\x1b[200~a\x03b\x04c\x1b[Ad\x7f\x1b[201~'), ['p:abc[Ad']);
  });

  it('finds markers split across chunks', () => {
    assert.deepEqual(feed('x\x1b[20', '0~one\rtwo\x1b', '[201~y'), ['t:x', 'p:one two', 't:y']);
  });

  it('holds an escape sequence split across chunks until it is whole', () => {
    assert.deepEqual(feed('ab\x1b[', '1;5', 'D'), ['t:ab', 't:\x1b[1;5D']);
  });

  it('does not cut a UTF-8 character split across chunks', () => {
    const bytes = Buffer.from('é', 'utf8');
    assert.deepEqual(feed(bytes.subarray(0, 1), bytes.subarray(1)), ['t:é']);
  });

  it('an end marker outside a paste is just keys', () => {
    assert.deepEqual(feed('\x1b[201~'), ['t:\x1b[201~']);
  });
});
