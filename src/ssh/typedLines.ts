// Questions in exec mode with a PTY (`ssh -t HOST integrations add … --anthropic-key=-`). The
// client's terminal is raw: nothing is cooked for us, Enter and ^D arrive as bytes and nothing
// echoes unless we send it, so reading stdin "to EOF" would wait forever. A read is a prompt
// instead: the label, typed text echoed unless secret, Enter (CR or LF) ends it, ^C cancels,
// ^D on an empty line is EOF (an empty answer). Keys typed ahead wait for the next question.
import { StringDecoder } from 'node:string_decoder';
import type { ServerChannel } from 'ssh2';
import { GatehouseError } from '../errors.js';
import { splitKeys } from './bracketedPaste.js';
import { cancelled, channelSink } from './channel.js';

const LIMIT = 64 * 1024; // a key or a secret, not a file

export class TypedLines {
  private readonly keys: string[] = [];
  private ended = false;
  private overflow = false;
  private wake: (() => void) | undefined;
  private readonly write: (text: string) => void;

  constructor(channel: ServerChannel) {
    const sink = channelSink(channel, true);
    this.write = (text) => sink('stderr', text);
    const decoder = new StringDecoder('utf8');
    channel.on('data', (chunk: Buffer) => {
      if (this.keys.length + chunk.length > LIMIT) this.overflow = true;
      else this.keys.push(...splitKeys(decoder.write(chunk)));
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
    let line = '';
    for (;;) {
      if (signal?.aborted) throw cancelled(String(signal.reason));
      if (this.overflow) throw new GatehouseError('too_large', 'input is too large (at most 64 KiB)');
      const key = this.keys.shift();
      if (key === undefined) {
        if (!this.ended) {
          await this.nextKey(signal);
          continue;
        }
        // Text not submitted with Enter is not an answer (the client may have been cut off).
        if (line) throw cancelled('input ended before Enter');
        this.write('\n');
        return '';
      }
      if (key === '\r' || key === '\n') {
        if (key === '\r' && this.keys[0] === '\n') this.keys.shift(); // CR LF is one Enter
        this.write('\n');
        return line.trim();
      }
      if (key === '\x03') {
        this.write('^C\n');
        throw cancelled();
      }
      if (key === '\x04' && line === '') {
        this.write('\n');
        return '';
      }
      line = this.edit(line, key, secret);
    }
  }

  /** Applies one key to the line: text, backspace, ^U; other control keys and escapes do nothing. */
  private edit(line: string, key: string, secret: boolean): string {
    const chars = [...line];
    if (key === '\x7f' || key === '\b') {
      if (chars.length && !secret) this.write('\b \b');
      return chars.slice(0, -1).join('');
    }
    if (key === '\x15') {
      if (!secret) this.write('\b \b'.repeat(chars.length));
      return '';
    }
    if (key < ' ' || key.startsWith('\x1b')) return line;
    if (!secret) this.write(key);
    return line + key;
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
