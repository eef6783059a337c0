// The text of the line being edited, as a list of short immutable strings (blocks), so that an
// edit costs what it touches plus a walk over at most a few hundred blocks, never the whole line.
// node:readline kept one string and rescanned it on every key: a line of n keys cost O(n²) and a
// 1 MiB line held the event loop for minutes (issue 11.2). Finding a position starts from the
// block found last time, or from either end, so keys near the cursor and Home/End cost O(1) blocks.
// Positions count UTF-16 code units; the
// editor never puts one inside a surrogate pair. A snapshot shares the blocks (they are strings),
// so saving or restoring a whole line (history, the draft) costs O(blocks), not O(line).

const BLOCK = 128;

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
  /** The block last located and its start, to begin the next search from. */
  private hint = 0;
  private hintStart = 0;

  insert(pos: number, text: string): void {
    if (!text) return;
    const [b, at] = this.locate(pos);
    const block = this.blocks[b] ?? '';
    const merged = block.slice(0, at) + text + block.slice(at);
    if (merged.length <= 2 * BLOCK) this.blocks[b] = merged;
    else this.blocks.splice(b, this.blocks[b] === undefined ? 0 : 1, ...split(merged));
    this.length += text.length;
    this.bytes += utf8Length(text);
    if (this.blocks.length > 2 * Math.ceil(this.length / BLOCK) + 2) this.setBlocks(split(this.blocks.join('')));
  }

  /** Removes [from, to) and returns it. */
  remove(from: number, to: number): string {
    if (to <= from) return '';
    let removed = '';
    let [b, at] = this.locate(from);
    const first = b;
    const firstStart = this.hintStart;
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
    // Whatever was removed, the block now at `first` (if any) starts where that one started.
    [this.hint, this.hintStart] = first < this.blocks.length ? [first, firstStart] : [0, 0];
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
    this.setBlocks(s.blocks.slice());
    this.length = s.length;
    this.bytes = s.bytes;
  }

  private setBlocks(blocks: string[]): void {
    this.blocks = blocks;
    this.hint = this.hintStart = 0;
  }

  clear(): void {
    this.restore(EMPTY);
  }

  /**
   * Block index and offset of pos (pos === length lands at the end of the last block). Walks from
   * the nearest of the start, the end and the last block found; remembers what it found.
   */
  private locate(pos: number): [number, number] {
    const last = this.blocks.length - 1;
    if (last < 0) return [0, 0];
    let b = this.hint;
    let start = this.hintStart;
    if (pos < start / 2) [b, start] = [0, 0];
    else if (pos >= this.length - this.blocks[last].length) [b, start] = [last, this.length - this.blocks[last].length];
    while (b > 0 && pos < start) start -= this.blocks[--b].length;
    while (b < last && pos >= start + this.blocks[b].length) start += this.blocks[b++].length;
    this.hint = b;
    this.hintStart = start;
    return [b, pos - start];
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
