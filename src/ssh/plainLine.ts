// Lines without a PTY (`ssh -T HOST` with commands on stdin): nothing to edit or echo, just text up
// to a line break, capped like the editor's line (beyond the cap the rest is dropped at once and
// the line is refused at its end).
import type { Token } from './bracketedPaste.js';
import { utf8Length } from './lineBuffer.js';

export class PlainLine {
  private parts: string[] = [];
  private bytes = 0;
  private tooLong = false;

  constructor(private readonly limit: number) {}

  feed(token: Token): { kind: 'line'; line: string; tooLong: boolean } | undefined {
    if (token.key === '\r' || token.key === '\n') {
      const result = { kind: 'line' as const, line: this.parts.join(''), tooLong: this.tooLong };
      this.parts = [];
      this.bytes = 0;
      this.tooLong = false;
      return result;
    }
    const text = token.text ?? token.key;
    if (this.tooLong) return undefined;
    this.bytes += utf8Length(text);
    if (this.bytes > this.limit) this.tooLong = true;
    else this.parts.push(text);
    return undefined;
  }
}
