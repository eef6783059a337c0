// The keyboard side of the interactive prompt: bytes from the SSH channel become typed text, keys
// and pastes, in order, for the line editor and for questions under `ssh -t`.
// Bracketed paste: the terminal wraps pasted text in ESC[200~ … ESC[201~. A pasted line break must
// not run a command, so we drop the markers, turn pasted line breaks and tabs into spaces and drop
// other control characters: a paste lands on the prompt as text for the user to review (never as
// ^C, ^D, Tab or Enter). Everything here is linear in what was received: no per-key arrays, no
// rescans; a marker or escape sequence cut at a chunk's end waits (a few bytes) for the next chunk.
import { StringDecoder } from 'node:string_decoder';

const START = '\x1b[200~';
const END = '\x1b[201~';
export const ENABLE_BRACKETED_PASTE = '\x1b[?2004h';
export const DISABLE_BRACKETED_PASTE = '\x1b[?2004l';

export interface Segment {
  text: string;
  paste: boolean;
}

export class BracketedPaste {
  private pasting = false;
  private pending = ''; // a possibly split marker or escape sequence at the end of the last chunk
  private readonly decoder = new StringDecoder('utf8'); // a chunk may end inside a UTF-8 character

  write(chunk: Buffer): Segment[] {
    let text = this.pending + this.decoder.write(chunk);
    this.pending = '';
    const out: Segment[] = [];
    while (text.length) {
      const marker = this.pasting ? END : START;
      const at = text.indexOf(marker);
      if (at === -1) {
        const keep = Math.max(partialSuffix(text, marker), this.pasting ? 0 : partialEscape(text));
        this.emit(out, text.slice(0, text.length - keep));
        this.pending = text.slice(text.length - keep);
        break;
      }
      this.emit(out, text.slice(0, at));
      this.pasting = !this.pasting;
      text = text.slice(at + marker.length);
    }
    return out;
  }

  /** The input ended: what was held back passes as it is. */
  end(): Segment[] {
    const out: Segment[] = [];
    this.emit(out, this.pending + this.decoder.end());
    this.pending = '';
    return out;
  }

  private emit(out: Segment[], text: string): void {
    if (this.pasting) text = text.replace(/\r\n|[\r\n\t]/g, ' ').replace(/[\x00-\x1f\x7f-\x9f]/g, '');
    if (text) out.push({ text, paste: this.pasting });
  }
}

// A run of printable characters, or one key: an optional second ESC (meta), then CSI (ESC [ params
// intermediates final), SS3 (ESC O x) or ESC + one character; else one control character.
const RUN = /[^\x00-\x1f\x7f-\x9f]+/y;
const ESCAPE = /\x1b{1,2}(?:\[[\x30-\x3f]*[\x20-\x2f]*[\x40-\x7e]|O[\s\S]|[\s\S])?/uy;

function isPrintable(code: number): boolean {
  return code >= 0x20 && (code < 0x7f || code > 0x9f);
}

/** The token of typed text at pos (pos < text.length). */
function tokenAt(text: string, pos: number): Token {
  const code = text.charCodeAt(pos);
  if (isPrintable(code)) {
    RUN.lastIndex = pos;
    return { text: RUN.exec(text)![0] };
  }
  if (code !== 0x1b) return { key: text[pos] };
  ESCAPE.lastIndex = pos;
  return { key: ESCAPE.exec(text)![0] };
}
const KEY = /\x1b{1,2}(?:\[[\x30-\x3f]*[\x20-\x2f]*[\x40-\x7e]|O[\s\S]|[\s\S])?|[\s\S]/gu;

/** Splits typed input into keystrokes: single characters and whole escape sequences. */
export function splitKeys(text: string): string[] {
  return Array.from(text.matchAll(KEY), (m) => m[0]);
}

/** What the editor gets next: printable text (typed or pasted) or one key. */
export type Token = { text: string; key?: undefined } | { key: string; text?: undefined };

/** Segments waiting to be read, consumed token by token without copying what is left. */
export class KeyQueue {
  private segments: Segment[] = [];
  private head = 0;
  private pos = 0; // in segments[head]
  /** Code units waiting, to bound typeahead. */
  size = 0;

  push(segments: Segment[]): void {
    for (const s of segments) {
      this.segments.push(s);
      this.size += s.text.length;
    }
  }

  get empty(): boolean {
    return this.head >= this.segments.length;
  }

  next(): Token | undefined {
    const segment = this.segments[this.head];
    if (!segment) return undefined;
    let token: Token;
    let length: number;
    if (segment.paste) {
      token = { text: segment.text.slice(this.pos) };
      length = segment.text.length - this.pos;
    } else {
      token = tokenAt(segment.text, this.pos);
      length = (token.text ?? token.key).length;
    }
    this.pos += length;
    this.size -= length;
    if (this.pos >= segment.text.length) this.shift();
    return token;
  }

  /** The next token if it is a key, without taking it. */
  peekKey(): string | undefined {
    const segment = this.segments[this.head];
    return segment && !segment.paste ? tokenAt(segment.text, this.pos).key : undefined;
  }

  /** Drops everything waiting. */
  clear(): void {
    this.segments = [];
    this.head = this.pos = this.size = 0;
  }

  private shift(): void {
    this.head++;
    this.pos = 0;
    if (this.head > 64 && this.head * 2 > this.segments.length) {
      this.segments = this.segments.slice(this.head);
      this.head = 0;
    }
  }
}

/** Length of the longest suffix of text that is a proper prefix of marker. */
function partialSuffix(text: string, marker: string): number {
  for (let n = Math.min(marker.length - 1, text.length); n > 0; n--) if (marker.startsWith(text.slice(-n))) return n;
  return 0;
}

/** Length of an escape sequence begun but not finished at the end of text (bounded). */
function partialEscape(text: string): number {
  const m = /\x1b{1,2}(?:\[[\x30-\x3f]*[\x20-\x2f]*|O)?$/.exec(text.slice(-16));
  return m ? m[0].length : 0;
}
