// The line editor's text store against a plain string, over random edits (issue 11.2 replaced
// readline's one string with blocks; they must never disagree).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LineBuffer, snapshotOf, utf8Length } from '../../src/ssh/lineBuffer.js';

/** A small deterministic generator, so a failure can be replayed. */
function random(seed: number): () => number {
  return () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
}

describe('LineBuffer', () => {
  it('agrees with a string over 20 000 random inserts, removals, snapshots and restores', () => {
    const rnd = random(42);
    const buffer = new LineBuffer();
    let model = '';
    const saved: [ReturnType<LineBuffer['snapshot']>, string][] = [];
    const alphabet = ['a', 'b', ' ', 'é', '漢', '😀'];
    for (let i = 0; i < 20_000; i++) {
      const r = rnd();
      // Positions on code point boundaries, as the editor keeps them.
      const points = Array.from(model);
      const at = (n: number) => points.slice(0, n).join('').length;
      const pos = at(Math.floor(rnd() * (points.length + 1)));
      if (r < 0.55) {
        const text = Array.from({ length: 1 + Math.floor(rnd() * (rnd() < 0.05 ? 700 : 3)) }, () => alphabet[Math.floor(rnd() * alphabet.length)]).join('');
        buffer.insert(pos, text);
        model = model.slice(0, pos) + text + model.slice(pos);
      } else if (r < 0.9) {
        const end = Math.max(pos, at(Math.min(points.length, Array.from(model.slice(0, pos)).length + Math.floor(rnd() * 5))));
        assert.equal(buffer.remove(pos, end), model.slice(pos, end));
        model = model.slice(0, pos) + model.slice(end);
      } else if (r < 0.95) {
        saved.push([buffer.snapshot(), model]);
      } else if (saved.length) {
        const [snap, text] = saved[Math.floor(rnd() * saved.length)];
        buffer.restore(snap);
        model = text;
      }
      assert.equal(buffer.length, model.length);
      if (i % 97 === 0) {
        assert.equal(buffer.text(), model);
        assert.equal(buffer.bytes, Buffer.byteLength(model));
        const from = Math.floor(rnd() * model.length);
        assert.equal(buffer.text(from, model.length), model.slice(from));
        assert.equal(buffer.codeAt(from), model.charCodeAt(from));
      }
    }
  });

  it('counts UTF-8 bytes like Buffer.byteLength and snapshots a string whole', () => {
    const text = 'aé漢😀'.repeat(300);
    assert.equal(utf8Length(text), Buffer.byteLength(text));
    const buffer = new LineBuffer();
    buffer.restore(snapshotOf(text));
    assert.equal(buffer.text(), text);
    assert.equal(buffer.bytes, Buffer.byteLength(text));
  });
});
