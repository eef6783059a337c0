// The keyboard side of the interactive prompt, between the SSH channel and node:readline.
// Bracketed paste: the terminal wraps pasted text in ESC[200~ … ESC[201~. node:readline would
// run every pasted line as a command; instead we drop the markers and turn pasted line breaks
// and tabs into spaces and drop other control characters, so a paste lands on the prompt as text
// for the user to review (never as ^C, ^D, Tab or Enter).
// Keys: node:readline treats a chunk of several characters as a paste (typed text goes to the end
// of the line, Tab does not complete), but one SSH packet may carry several keystrokes (a quick
// typist on a slow link, a scripted client). So outside a paste each key is passed on alone.
import { StringDecoder } from 'node:string_decoder';
import { Transform, type TransformCallback } from 'node:stream';

const START = '\x1b[200~';
const END = '\x1b[201~';
export const ENABLE_BRACKETED_PASTE = '\x1b[?2004h';
export const DISABLE_BRACKETED_PASTE = '\x1b[?2004l';

export class BracketedPaste extends Transform {
  private pasting = false;
  private pending = ''; // a possibly split marker at the end of the last chunk
  private readonly decoder = new StringDecoder('utf8'); // a chunk may end inside a UTF-8 character

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    let text = this.pending + this.decoder.write(chunk);
    this.pending = '';
    while (text.length) {
      const marker = this.pasting ? END : START;
      const at = text.indexOf(marker);
      if (at === -1) {
        const keep = partialSuffix(text, marker);
        this.emitText(text.slice(0, text.length - keep));
        this.pending = text.slice(text.length - keep);
        break;
      }
      this.emitText(text.slice(0, at));
      this.pasting = !this.pasting;
      text = text.slice(at + marker.length);
    }
    done();
  }

  private emitText(text: string): void {
    if (this.pasting) {
      const pasted = text.replace(/\r\n|[\r\n\t]/g, ' ').replace(/[\x00-\x1f\x7f]/g, '');
      if (pasted) this.push(pasted); // one chunk: readline then inserts it as text
    } else {
      for (const key of splitKeys(text)) this.push(key);
    }
  }
}

/** Splits typed input into keystrokes: single characters and whole escape sequences. */
export function splitKeys(text: string): string[] {
  const keys: string[] = [];
  // An optional second ESC (meta), then CSI (ESC [ params intermediates final), SS3 (ESC O x) or
  // ESC + one character; else one code point. A sequence cut at the chunk's end passes as it is:
  // readline's key decoder keeps its state between chunks.
  const key = /\x1b{1,2}(?:\[[\x30-\x3f]*[\x20-\x2f]*[\x40-\x7e]|O[\s\S]|[\s\S])?|[\s\S]/gu;
  for (const m of text.matchAll(key)) keys.push(m[0]);
  return keys;
}

/** Length of the longest suffix of text that is a proper prefix of marker. */
function partialSuffix(text: string, marker: string): number {
  for (let n = Math.min(marker.length - 1, text.length); n > 0; n--) if (marker.startsWith(text.slice(-n))) return n;
  return 0;
}
