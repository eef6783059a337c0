// Pull-style reading of lines from node:readline, for the interactive prompt and its questions.
// Nothing is read until the first prompt: keys typed early wait in the channel (typeahead), and
// each line pauses the input until it has been handled, so later keys echo after the next prompt.
// At EOF (`ssh -tt host < file`) or ^D, the lines already submitted with Enter are still handed
// out, then undefined. Text left on the line at EOF was never submitted and is dropped: readline
// would hand it out as a line, and a half-typed `rm devbox` must not run because the client left.
import type { EventEmitter } from 'node:events';
import type readline from 'node:readline';
import { GatehouseError } from '../errors.js';
import type { TerminalOutput } from './channel.js';

type KeyHandler = (s: string | undefined, key: readline.Key | undefined) => void;

export class LineReader {
  private readonly lines: string[] = [];
  private ended = false;
  /** The input ended: whatever readline hands out from now on was not submitted with Enter. */
  private eof = false;
  /** A command's question is waiting: ^C, and ^D on an empty line, cancel it. */
  private question = false;
  private cancelled = false;
  private wake: (() => void) | undefined;

  constructor(
    private readonly rl: readline.Interface,
    input: EventEmitter,
    private readonly term: TerminalOutput,
  ) {
    rl.pause();
    rl.on('line', (line) => {
      rl.pause();
      if (this.cancelled) return forget(rl, line); // the line a cancel cleared (see cancel())
      if (this.eof) {
        if (!this.term.muted) this.term.write('\n'); // leave the dropped text on its own line
        return;
      }
      this.lines.push(line);
      this.wakeReader();
    });
    rl.on('close', () => this.end());
    // Runs before readline's own 'end' listener, which emits the unfinished line as if submitted.
    input.prependListener('end', () => (this.eof = true));
    if (rl.terminal) this.interceptKeys(input); // without a PTY there are no keys, only lines
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
  next(prompt: string, secret = false): Promise<string | undefined> {
    return this.read(prompt, secret, false);
  }

  /**
   * A command's question (a public key, a secret). ^C, ^D on an empty line, or the end of the
   * session cancel it: the command fails with "cancelled" instead of going on with no answer.
   */
  async ask(label: string, secret: boolean): Promise<string> {
    const answer = await this.read(label, secret, true);
    if (answer === undefined) throw new GatehouseError('invalid_input', 'cancelled');
    if (secret) forget(this.rl, answer);
    return answer.trim();
  }

  private async read(prompt: string, secret: boolean, question: boolean): Promise<string | undefined> {
    this.cancelled = false;
    if (this.lines.length === 0 && !this.ended) {
      this.rl.setPrompt(prompt);
      this.rl.prompt();
      this.term.muted = secret; // after the prompt is drawn: from here on, typed characters are not echoed
      this.question = question;
      while (this.lines.length === 0 && !this.ended && !this.cancelled) await new Promise<void>((resolve) => (this.wake = resolve));
      this.question = false;
    }
    if (secret && this.term.muted) {
      this.term.muted = false;
      this.term.write('\n'); // the Enter that ended the secret was not echoed either
    }
    return this.cancelled ? undefined : this.lines.shift();
  }

  /**
   * Cancels the waiting question. The line is submitted while muted, then dropped: that clears it
   * without showing it, and readline forgets its undo steps too (^_ must not bring a secret back).
   */
  private cancel(echo: string): void {
    this.cancelled = true;
    this.question = false;
    this.term.muted = true;
    this.rl.write(null, { name: 'return' });
    this.term.muted = false;
    this.term.write(echo + '\n');
    this.wakeReader();
  }

  /**
   * readline handles each key in one 'keypress' listener on the input, and ^D on an empty line
   * closes it for good; a question must see ^C and ^D first. So wrap that listener.
   */
  private interceptKeys(input: EventEmitter): void {
    const listeners = input.listeners('keypress') as KeyHandler[];
    if (listeners.length !== 1) throw new Error(`expected readline's one keypress listener, found ${listeners.length}`);
    const [readlineKeys] = listeners;
    const keys: KeyHandler = (s, key) => {
      if (this.question && key?.ctrl && !key.meta) {
        if (key.name === 'c') return this.cancel('^C');
        if (key.name === 'd' && this.rl.line === '') return this.cancel('');
      }
      readlineKeys(s, key);
    };
    input.off('keypress', readlineKeys);
    input.on('keypress', keys);
    this.rl.once('close', () => input.off('keypress', keys));
  }

  private wakeReader(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}

/** node:readline keeps answered lines in its in-memory history; secrets must not stay there. */
export function forget(rl: readline.Interface, line: string): void {
  const history = (rl as unknown as { history: string[] }).history;
  const at = history.indexOf(line);
  if (at !== -1) history.splice(at, 1);
}
