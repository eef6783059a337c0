// Questions in exec mode with a PTY (`ssh -t HOST integrations add … --anthropic-key=-`). The
// client's terminal is raw: nothing is cooked for us, Enter and ^D arrive as bytes and nothing
// echoes unless we send it, so reading stdin "to EOF" would wait forever. A read is a prompt
// instead: the label, typed text echoed unless secret, Enter (CR or LF) ends it, ^C cancels,
// ^D on an empty line is EOF (an empty answer). Keys typed ahead wait for the next question.
// While a command waits on something else (interruptible work), ^C or ^D cancels it instead.
// Linear in what was received (issue 11.2): keys are taken from a queue without copying it, the
// answer is a stack of code points, and the echo of a batch of keys is written once.
import { StringDecoder } from 'node:string_decoder';
import type { ServerChannel } from 'ssh2';
import { GatehouseError } from '../errors.js';
import { KeyQueue } from './bracketedPaste.js';
import { cancelled, channelSink } from './channel.js';
import type { Watch } from './interrupt.js';
import { utf8Length } from './lineBuffer.js';

const LIMIT = 64 * 1024; // a key or a secret, not a file
const tooLarge = () => new GatehouseError('too_large', 'input is too large (at most 64 KiB)');

export class TypedLines {
  private readonly queue = new KeyQueue();
  private ended = false;
  private overflow = false;
  private wake: (() => void) | undefined;
  private interrupt: ((why?: string) => void) | undefined;
  private readonly write: (text: string) => void;

  constructor(channel: ServerChannel) {
    const sink = channelSink(channel, true);
    this.write = (text) => text && sink('stderr', text);
    const decoder = new StringDecoder('utf8');
    channel.on('data', (chunk: Buffer) => {
      const text = decoder.write(chunk);
      if (this.interrupt && /[\x03\x04]/.test(text)) return this.interrupted();
      if (this.queue.size + chunk.length > LIMIT) this.overflow = true;
      else this.queue.push([{ text, paste: false }]);
      this.wakeUp();
    });
    const end = () => {
      this.ended = true;
      this.wakeUp();
    };
    channel.once('end', end);
    channel.once('close', end);
    if (channel.readableEnded) this.ended = true;
  }

  async read(label: string, secret: boolean, signal?: AbortSignal): Promise<string> {
    this.write(label);
    const line = new Answer(secret);
    try {
      for (;;) {
        if (signal?.aborted) throw cancelled(String(signal.reason));
        if (this.overflow) throw tooLarge();
        const token = this.queue.next();
        if (token === undefined) {
          if (!this.ended) {
            this.write(line.takeEcho()); // before waiting: the user sees what they typed
            await this.nextKey(signal);
            continue;
          }
          // Text not submitted with Enter is not an answer (the client may have been cut off).
          if (!line.empty) throw cancelled('input ended before Enter');
          line.echo('\n');
          return '';
        }
        if (token.text !== undefined) {
          if (!line.add(token.text)) throw tooLarge();
          continue;
        }
        const key = token.key;
        if (key === '\r' || key === '\n') {
          if (key === '\r') this.skipLf();
          line.echo('\n');
          return line.text().trim();
        }
        if (key === '\x03') {
          line.echo('^C\n');
          throw cancelled();
        }
        if (key === '\x04' && line.empty) {
          line.echo('\n');
          return '';
        }
        if (key === '\x7f' || key === '\b') line.backspace();
        else if (key === '\x15') line.clear();
        // Other control keys and escape sequences do nothing.
      }
    } finally {
      this.write(line.takeEcho());
    }
  }

  /** While the returned watch runs, ^C or ^D aborts; other keys wait for the next question. */
  interrupts(): Watch {
    return (abort) => {
      this.interrupt = abort;
      return () => (this.interrupt = undefined);
    };
  }

  private interrupted(): void {
    const abort = this.interrupt!;
    this.interrupt = undefined;
    this.queue.clear(); // keys typed ahead were meant for what is being cancelled
    this.write('^C\n');
    abort();
  }

  /** CR LF is one Enter. */
  private skipLf(): void {
    if (this.queue.peekKey() === '\n') this.queue.next();
  }

  private nextKey(signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = () => {
        signal?.removeEventListener('abort', done);
        resolve();
      };
      this.wake = done;
      signal?.addEventListener('abort', done);
    });
  }

  private wakeUp(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}

/** The answer being typed: code points on a stack, and the echo not yet written. */
class Answer {
  private chars: string[] = [];
  private bytes = 0;
  private pending = '';

  constructor(private readonly secret: boolean) {}

  get empty(): boolean {
    return this.chars.length === 0;
  }

  /** Adds typed text; false once the answer would pass the limit. */
  add(text: string): boolean {
    this.bytes += utf8Length(text);
    if (this.bytes > LIMIT) return false;
    for (const c of text) this.chars.push(c);
    if (!this.secret) this.pending += text;
    return true;
  }

  backspace(): void {
    const c = this.chars.pop();
    if (c === undefined) return;
    this.bytes -= utf8Length(c);
    if (!this.secret) this.pending += '\b \b';
  }

  clear(): void {
    if (!this.secret) this.pending += '\b \b'.repeat(this.chars.length);
    this.chars = [];
    this.bytes = 0;
  }

  text(): string {
    return this.chars.join('');
  }

  /** Queues text to show even for a secret (^C, the final line break). */
  echo(text: string): void {
    this.pending += text;
  }

  takeEcho(): string {
    const text = this.pending;
    this.pending = '';
    return text;
  }
}
