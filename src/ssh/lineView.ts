// What the line editor shows: the prompt and the line, wrapped at the terminal's width. Typing at
// the end of the line writes just the new characters (the usual case, and the flood of issue
// 11.2); any other change marks the line stale, and it is redrawn once when flushed (once per
// batch of input, never per key). The cursor's row is tracked so a redraw starts where the prompt
// starts. Column arithmetic follows the terminal's: a wide character never straddles the edge.
import type { LineBuffer } from './lineBuffer.js';
import { charWidth, textWidth } from './charWidth.js';

export class LineView {
  private prompt = '';
  private promptWidth = 0;
  private echo = true;
  /** Row of the terminal's cursor, counted from the prompt's first row. */
  private row = 0;
  /** Display offset (row × columns + column) of the end of the line, when not stale. */
  private end = 0;
  /** Typed at the end of the line since the last flush, not yet written. */
  private appended = '';
  private stale = false;
  /** A prompt is on screen: between start() and leave() (a completion listing keeps it). */
  private active = false;
  private lastRedraw = 0;

  constructor(
    private readonly write: (text: string) => void,
    private readonly columns: () => number,
  ) {}

  /** Shows a prompt; with echo off (a secret), nothing typed after it is shown. */
  start(prompt: string, echo: boolean): void {
    this.prompt = prompt;
    this.promptWidth = textWidth(prompt);
    this.echo = echo;
    this.row = 0;
    this.end = this.promptWidth;
    this.appended = '';
    this.stale = false;
    this.active = true;
    this.write(prompt);
  }

  /** Text typed at the end of the line, with the cursor at the end. */
  append(text: string): void {
    if (this.stale || !this.echo || !this.active) return;
    this.appended += text;
    const cols = this.columns();
    for (const c of text) this.end = advance(this.end, charWidth(c), cols);
  }

  /** Anything else changed: redraw at the next flush. */
  invalidate(): void {
    this.stale = true;
    this.appended = '';
  }

  /**
   * How long to wait before the next flush: a redraw costs O(line), so a long line is redrawn at
   * most about every length/1024 ms (64 ms at the cap), however fast edits come. Typing at the end
   * is never delayed.
   */
  flushDelay(length: number): number {
    if (!this.stale || !this.active || !this.echo) return 0;
    return Math.max(0, this.lastRedraw + (length >> 10) - performance.now());
  }

  /** Brings the screen up to date with the line and the cursor (a position in code units). */
  flush(line: LineBuffer, cursor: number): void {
    if (!this.active) return;
    if (!this.echo) {
      this.stale = false;
      return;
    }
    const cols = this.columns();
    if (this.stale) return this.redraw(line, cursor, cols);
    if (!this.appended) return;
    this.write(this.appended + (this.end % cols === 0 ? ' \r' : '')); // ' ' makes the terminal wrap now
    this.appended = '';
    this.row = Math.floor(this.end / cols);
  }

  /**
   * Puts the cursor below the line, after `suffix` (Enter, ^C, a completion listing). The prompt
   * is then gone, unless `keep` (a listing): the next flush draws prompt and line again below.
   */
  leave(line: LineBuffer, cursor: number, suffix = '', keep = false): void {
    if (this.echo && this.active) {
      this.flush(line, cursor);
      const cols = this.columns();
      const down = Math.floor(this.end / cols) - this.row;
      this.write((down > 0 ? `\x1b[${down}B` : '') + '\r' + (this.end % cols ? `\x1b[${this.end % cols}C` : ''));
    }
    this.write(suffix + '\n');
    this.row = 0;
    this.stale = true;
    this.active = keep;
  }

  private redraw(line: LineBuffer, cursor: number, cols: number): void {
    let out = (this.row > 0 ? `\x1b[${this.row}A` : '') + '\r\x1b[J' + this.prompt;
    let off = this.promptWidth;
    let at = 0;
    let cursorOff = cursor === 0 ? off : -1;
    for (const piece of line.pieces()) {
      out += piece;
      for (const c of piece) {
        off = advance(off, charWidth(c), cols);
        at += c.length;
        if (at === cursor) cursorOff = off;
      }
    }
    if (cursorOff < 0) cursorOff = off;
    if (off % cols === 0) out += ' ';
    const endRow = Math.floor(off / cols);
    const row = Math.floor(cursorOff / cols);
    const col = cursorOff % cols;
    out += '\r' + (col ? `\x1b[${col}C` : '') + (endRow > row ? `\x1b[${endRow - row}A` : '');
    this.write(out);
    this.lastRedraw = performance.now();
    this.row = row;
    this.end = off;
    this.stale = false;
  }
}

/** The display offset after a character of `width` columns at `off`. */
function advance(off: number, width: number, cols: number): number {
  if (width === 2 && (off + 1) % cols === 0) off++; // does not fit in the last column: wraps
  return off + width;
}
