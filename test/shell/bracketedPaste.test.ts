// The keyboard filter between the SSH channel and readline, fed chunk by chunk as a channel would.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BracketedPaste, splitKeys } from '../../src/ssh/bracketedPaste.js';

/** Writes the chunks, ends the stream, and returns every chunk readline would receive. */
async function feed(...chunks: (string | Buffer)[]): Promise<string[]> {
  const filter = new BracketedPaste();
  const out: string[] = [];
  filter.on('data', (d: Buffer) => out.push(d.toString('utf8')));
  const ended = new Promise((resolve) => filter.on('end', resolve));
  for (const c of chunks) filter.write(typeof c === 'string' ? Buffer.from(c, 'utf8') : c);
  filter.end();
  await ended;
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

describe('BracketedPaste', () => {
  it('passes typed keys one by one', async () => {
    assert.deepEqual(await feed('ls\r'), ['l', 's', '\r']);
  });

  it('turns pasted line breaks and tabs into spaces and drops the markers', async () => {
    assert.deepEqual(await feed('\x1b[200~rm a\r\nrm\tb\n\x1b[201~'), ['rm a rm b ']);
  });

  it('drops control characters and escapes inside a paste: ^C, ^D, ESC never act', async () => {
    assert.deepEqual(await feed('\x1b[200~a\x03b\x04c\x1b[Ad\x7f\x1b[201~'), ['abc[Ad']);
  });

  it('finds markers split across chunks', async () => {
    assert.deepEqual(await feed('x\x1b[20', '0~one\rtwo\x1b', '[201~y'), ['x', 'one two', 'y']);
  });

  it('does not cut a UTF-8 character split across chunks', async () => {
    const bytes = Buffer.from('é', 'utf8');
    assert.deepEqual(await feed(bytes.subarray(0, 1), bytes.subarray(1)), ['é']);
  });

  it('an end marker outside a paste is just keys', async () => {
    assert.deepEqual(await feed('\x1b[201~'), ['\x1b[201~']);
  });
});
