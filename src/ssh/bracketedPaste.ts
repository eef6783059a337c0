// Bracketed paste: the terminal wraps pasted text in ESC[200~ … ESC[201~. node:readline would
// run every pasted line as a command; instead we drop the markers and turn pasted line breaks
// into spaces, so a paste lands on the prompt for the user to review.
import { Transform, type TransformCallback } from 'node:stream';

const START = '\x1b[200~';
const END = '\x1b[201~';
export const ENABLE_BRACKETED_PASTE = '\x1b[?2004h';
export const DISABLE_BRACKETED_PASTE = '\x1b[?2004l';

export class BracketedPaste extends Transform {
  private pasting = false;
  private pending = ''; // a possibly split marker at the end of the last chunk

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    let text = this.pending + chunk.toString('utf8');
    this.pending = '';
    let out = '';
    while (text.length) {
      const marker = this.pasting ? END : START;
      const at = text.indexOf(marker);
      if (at === -1) {
        const keep = partialSuffix(text, marker);
        out += this.unpaste(text.slice(0, text.length - keep));
        this.pending = text.slice(text.length - keep);
        break;
      }
      out += this.unpaste(text.slice(0, at));
      this.pasting = !this.pasting;
      text = text.slice(at + marker.length);
    }
    done(null, out);
  }

  private unpaste(text: string): string {
    return this.pasting ? text.replace(/\r\n|\r|\n/g, ' ') : text;
  }
}

/** Length of the longest suffix of text that is a proper prefix of marker. */
function partialSuffix(text: string, marker: string): number {
  for (let n = Math.min(marker.length - 1, text.length); n > 0; n--) if (marker.startsWith(text.slice(-n))) return n;
  return 0;
}
