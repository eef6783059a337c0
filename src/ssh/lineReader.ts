// Pull-style reading of lines from node:readline, for the interactive prompt and its questions.
// Nothing is read until the first prompt: keys typed early wait in the channel (typeahead), and
// each line pauses the input until it has been handled, so later keys echo after the next prompt.
// At EOF (`ssh -tt host < file`) or ^D, the lines already typed are still handed out, then undefined.
import type readline from 'node:readline';
import type { TerminalOutput } from './channel.js';

export class LineReader {
  private readonly lines: string[] = [];
  private ended = false;
  private wake: (() => void) | undefined;

  constructor(
    private readonly rl: readline.Interface,
    private readonly term: TerminalOutput,
  ) {
    rl.pause();
    rl.on('line', (line) => {
      rl.pause();
      this.lines.push(line);
      this.wakeReader();
    });
    rl.on('close', () => this.end());
  }

  /** The session is over: lines typed ahead are dropped and a pending next() returns undefined. */
  close(): void {
    this.lines.length = 0;
    this.end();
  }

  private end(): void {
    this.ended = true;
    this.wakeReader();
  }

  /** Shows `prompt` and resolves with the next line; undefined once no more lines will come. */
  async next(prompt: string, secret = false): Promise<string | undefined> {
    if (this.lines.length === 0 && !this.ended) {
      this.rl.setPrompt(prompt);
      this.rl.prompt();
      this.term.muted = secret; // after the prompt is drawn: from here on, typed characters are not echoed
      while (this.lines.length === 0 && !this.ended) await new Promise<void>((resolve) => (this.wake = resolve));
    }
    if (secret && this.term.muted) {
      this.term.muted = false;
      this.term.write('\n'); // the Enter that ended the secret was not echoed either
    }
    return this.lines.shift();
  }

  private wakeReader(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}
