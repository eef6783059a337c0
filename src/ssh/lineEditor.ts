// Our line editor for the interactive prompt (it replaces node:readline, whose per-key work was
// proportional to the line: issue 11.2). Each key costs O(1) or what it deletes, plus a walk over
// the line's blocks (LineBuffer); the screen is brought up to date once per batch of input
// (LineView). Keys: ←/→ (^B ^F), Home/End (^A ^E), Backspace, Delete (^D on text), ^K ^U ^W,
// ↑/↓ history (^P ^N), Tab completion (twice lists), Enter; ^C and ^D on an empty line are the
// caller's to interpret. A line may hold LINE_LIMIT bytes: what is typed beyond is dropped at once
// and the line is marked too long, to be refused when Enter is pressed.
import type { Token } from './bracketedPaste.js';
import { textWidth } from './charWidth.js';
import { isHigh, isLow, LineBuffer, type Snapshot } from './lineBuffer.js';
import { LineHistory } from './lineHistory.js';
import { KEYS, type Edit } from './lineKeys.js';
import { LineView } from './lineView.js';

export const LINE_LIMIT = 64 * 1024;
/** Tab does nothing on longer lines: completion reads the text before the cursor. */
const COMPLETION_LIMIT = 4096;

export type Completion = [candidates: string[], fragment: string];

export type Outcome =
  | { kind: 'line'; line: string; tooLong: boolean }
  | { kind: 'interrupt'; empty: boolean } // ^C
  | { kind: 'eof' } // ^D on an empty line
  | { kind: 'complete'; before: string; listing: boolean };

export class LineEditor {
  private readonly line = new LineBuffer();
  private cursor = 0;
  private tooLong = false;
  /** Whether the line being typed before ↑ (the history's draft) was over the cap. */
  private draftTooLong = false;
  private readonly view: LineView;
  readonly history = new LineHistory(LINE_LIMIT);
  private lastWasTab = false;

  constructor(
    write: (text: string) => void,
    private readonly columns: () => number,
  ) {
    this.view = new LineView(write, columns);
  }

  /** Shows the prompt with an empty line. */
  begin(prompt: string, echo: boolean): void {
    this.reset();
    this.view.start(prompt, echo);
  }

  get empty(): boolean {
    return this.line.length === 0;
  }

  /** Applies one token; returns what the caller must act on, if anything. */
  feed(token: Token): Outcome | undefined {
    const wasTab = this.lastWasTab;
    this.lastWasTab = token.key === '\t';
    if (token.text !== undefined) return void this.insert(token.text);
    const action = KEYS[token.key];
    if (action === 'enter') return this.submit();
    if (action === 'interrupt') return { kind: 'interrupt', empty: this.empty };
    if (action === 'tab') {
      if (this.line.bytes > COMPLETION_LIMIT) return undefined;
      return { kind: 'complete', before: this.line.text(0, this.cursor), listing: wasTab };
    }
    if (token.key === '\x04' && this.empty) return { kind: 'eof' };
    if (action) this[action as Edit]();
    return undefined;
  }

  /** Applies a completion result, as node:readline did: the common prefix, or a listing. */
  completed([candidates, fragment]: Completion, listing: boolean): void {
    if (candidates.length === 0) return;
    const prefix = commonPrefix(candidates.filter((c) => c !== ''));
    if (prefix.startsWith(fragment) && prefix.length > fragment.length) return this.insert(prefix.slice(fragment.length));
    if (!fragment.startsWith(prefix)) {
      this.line.remove(this.cursor - fragment.length, this.cursor);
      this.cursor -= fragment.length;
      return this.insert(prefix);
    }
    if (!listing) return;
    const width = candidates.reduce((w, c) => Math.max(w, textWidth(c)), 0) + 2;
    const perRow = Math.max(1, Math.floor(this.columns() / width));
    let list = '';
    candidates.forEach((c, i) => (list += c.padEnd(c.length + width - textWidth(c)) + ((i + 1) % perRow === 0 ? '\n' : '')));
    this.view.leave(this.line, this.cursor, '\n' + list.trimEnd() + '\n', true);
    this.flush(); // the prompt again under the listing, right away, as readline did
  }

  /** Brings the screen up to date (once per batch of input). */
  flush(): void {
    this.view.flush(this.line, this.cursor);
  }

  /** Milliseconds the next flush should wait (long lines are redrawn at a bounded rate). */
  flushDelay(): number {
    return this.view.flushDelay(this.line.length);
  }

  /** Leaves the line on screen, says `echo` after it and forgets it (^C, a cancelled question). */
  abandon(echo: string): void {
    this.view.leave(this.line, this.cursor, echo);
    this.reset();
  }

  resize(): void {
    this.view.invalidate();
  }

  private reset(): void {
    this.line.clear();
    this.cursor = 0;
    this.tooLong = false;
    this.history.rewind();
    this.lastWasTab = false;
  }

  private submit(): Outcome {
    const line = this.line.text();
    const tooLong = this.tooLong;
    this.view.leave(this.line, this.cursor);
    this.reset();
    return { kind: 'line', line, tooLong };
  }

  private insert(text: string): void {
    if (this.line.bytes + text.length * 3 > LINE_LIMIT) text = this.fitting(text);
    if (!text) return;
    const atEnd = this.cursor === this.line.length;
    this.line.insert(this.cursor, text);
    this.cursor += text.length;
    if (atEnd) this.view.append(text);
    else this.view.invalidate();
  }

  /** The part of text that still fits under the cap; past it, keys are dropped in O(1). */
  private fitting(text: string): string {
    if (this.line.bytes >= LINE_LIMIT) {
      this.tooLong = true;
      return '';
    }
    let bytes = this.line.bytes;
    let end = 0;
    for (const c of text) {
      const cp = c.codePointAt(0)!;
      bytes += cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
      if (bytes > LINE_LIMIT) break;
      end += c.length;
    }
    if (end < text.length) this.tooLong = true;
    return text.slice(0, end);
  }

  /** Removes [from, to) (positions on code point boundaries) and puts the cursor at from. */
  private cut(from: number, to: number): void {
    if (to <= from) return;
    this.line.remove(from, to);
    this.cursor = from;
    if (this.line.length === 0) this.tooLong = false;
    this.view.invalidate();
  }

  private step(pos: number, dir: -1 | 1): number {
    if (dir < 0) return pos > 1 && isLow(this.line.codeAt(pos - 1)) && isHigh(this.line.codeAt(pos - 2)) ? pos - 2 : Math.max(0, pos - 1);
    return isHigh(this.line.codeAt(pos)) && isLow(this.line.codeAt(pos + 1)) ? pos + 2 : Math.min(this.line.length, pos + 1);
  }

  private move(to: number): void {
    if (to === this.cursor) return;
    this.cursor = to;
    this.view.invalidate();
  }

  left(): void { this.move(this.step(this.cursor, -1)); }
  right(): void { this.move(this.step(this.cursor, 1)); }
  home(): void { this.move(0); }
  end(): void { this.move(this.line.length); }
  backspace(): void { this.cut(this.step(this.cursor, -1), this.cursor); }
  deleteRight(): void { this.cut(this.cursor, this.step(this.cursor, 1)); }
  killToEnd(): void { this.cut(this.cursor, this.line.length); }
  killToStart(): void { this.cut(0, this.cursor); }

  /** ^W, as readline: spaces before the cursor, then one run of word or of punctuation characters. */
  deleteWord(): void {
    let from = this.cursor;
    const kind = (pos: number) => classify(this.line.codeAt(pos));
    while (from > 0 && kind(from - 1) === 'space') from--;
    const run = from > 0 ? kind(from - 1) : 'space';
    while (from > 0 && kind(from - 1) === run) from--;
    this.cut(from, this.cursor);
  }

  up(): void {
    this.show(
      this.history.older(() => {
        this.draftTooLong = this.tooLong; // the draft keeps its verdict: ↑ then ↓ must not make an over-long line runnable
        return this.line.snapshot();
      }),
    );
  }

  down(): void {
    this.show(this.history.newer());
  }

  private show(entry: Snapshot | undefined): void {
    if (!entry) return;
    this.line.restore(entry);
    this.cursor = this.line.length;
    this.tooLong = this.history.isDraft(entry) && this.draftTooLong;
    this.view.invalidate();
  }
}

function classify(code: number): 'space' | 'word' | 'other' {
  if (code === 0x20 || code === 0x09 || code === 0xa0) return 'space';
  return (code >= 0x30 && code <= 0x39) || (code >= 0x41 && code <= 0x5a) || (code >= 0x61 && code <= 0x7a) || code === 0x5f ? 'word' : 'other';
}

function commonPrefix(list: string[]): string {
  if (list.length === 0) return '';
  let prefix = list[0];
  for (const s of list) while (!s.startsWith(prefix)) prefix = prefix.slice(0, -1);
  return prefix;
}
