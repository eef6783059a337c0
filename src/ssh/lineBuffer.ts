// The text of the line being edited, as a list of short immutable strings (blocks), so that an
// edit costs what it touches plus a walk over at most a few hundred blocks, never the whole line.
// node:readline kept one string and rescanned it on every key: a line of n keys cost O(n²) and a
// 1 MiB line held the event loop for minutes (issue 11.2). Positions count UTF-16 code units; the
// editor never puts one inside a surrogate pair. A snapshot shares the blocks (they are strings),
// so saving or restoring a whole line (history, the draft) costs O(blocks), not O(line).

const BLOCK = 256;

export interface Snapshot {
  blocks: readonly string[];
  length: number;
  bytes: number;
}

export class LineBuffer {
  private blocks: string[] = [];
  /** UTF-16 code units. */
  length = 0;
  /** UTF-8 bytes, for the line cap. */
  bytes = 0;

  insert(pos: number, text: string): void {
    if (!text) return;
    const [b, at] = this.locate(pos);
    const block = this.blocks[b] ?? '';
    this.blocks.splice(b, this.blocks[b] === undefined ? 0 : 1, ...split(block.slice(0, at) + text + block.slice(at)));
    this.length += text.length;
    this.bytes += utf8Length(text);
    if (this.blocks.length > 2 * Math.ceil(this.length / BLOCK) + 2) this.blocks = split(this.blocks.join(''));
  }

  /** Removes [from, to) and returns it. */
  remove(from: number, to: number): string {
    if (to <= from) return '';
    let removed = '';
    let [b, at] = this.locate(from);
    while (removed.length < to - from && b < this.blocks.length) {
      const block = this.blocks[b];
      const end = Math.min(block.length, at + (to - from - removed.length));
      removed += block.slice(at, end);
      const rest = block.slice(0, at) + block.slice(end);
      if (rest) this.blocks[b++] = rest;
      else this.blocks.splice(b, 1);
      at = 0;
    }
    this.length -= removed.length;
    this.bytes -= utf8Length(removed);
    return removed;
  }

  /** The code unit at pos (NaN outside the line). */
  codeAt(pos: number): number {
    if (pos < 0 || pos >= this.length) return NaN;
    const [b, at] = this.locate(pos);
    return this.blocks[b].charCodeAt(at);
  }

  text(from = 0, to = this.length): string {
    if (from === 0 && to === this.length) return this.blocks.join('');
    let out = '';
    let start = 0;
    for (const block of this.blocks) {
      const end = start + block.length;
      if (end > from && start < to) out += block.slice(Math.max(0, from - start), Math.min(block.length, to - start));
      start = end;
      if (start >= to) break;
    }
    return out;
  }

  /** The blocks in order, for a redraw. */
  pieces(): readonly string[] {
    return this.blocks;
  }

  snapshot(): Snapshot {
    return { blocks: this.blocks.slice(), length: this.length, bytes: this.bytes };
  }

  restore(s: Snapshot): void {
    this.blocks = s.blocks.slice();
    this.length = s.length;
    this.bytes = s.bytes;
  }

  clear(): void {
    this.restore(EMPTY);
  }

  /** Block index and offset of pos; pos === length lands at the end of the last block. */
  private locate(pos: number): [number, number] {
    let start = 0;
    const last = this.blocks.length - 1;
    for (let b = 0; b < last; b++) {
      const len = this.blocks[b].length;
      if (pos < start + len) return [b, pos - start];
      start += len;
    }
    return [Math.max(last, 0), pos - start];
  }
}

const EMPTY: Snapshot = { blocks: [], length: 0, bytes: 0 };

/** A whole line as a snapshot (O(length / BLOCK) slices, which V8 makes without copying). */
export function snapshotOf(text: string, bytes = utf8Length(text)): Snapshot {
  return { blocks: split(text), length: text.length, bytes };
}

/** One block up to 2·BLOCK code units, else pieces of about BLOCK; never inside a surrogate pair. */
function split(text: string): string[] {
  if (text.length <= 2 * BLOCK) return text ? [text] : [];
  const pieces: string[] = [];
  for (let i = 0; i < text.length; ) {
    let end = Math.min(text.length, i + BLOCK);
    if (end < text.length && isHigh(text.charCodeAt(end - 1))) end++;
    pieces.push(text.slice(i, end));
    i = end;
  }
  return pieces;
}

export function isHigh(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

export function isLow(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}

export function utf8Length(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    n += c < 0x80 ? 1 : c < 0x800 ? 2 : isHigh(c) || isLow(c) ? 2 : 3; // a surrogate pair is 4 bytes
  }
  return n;
}
