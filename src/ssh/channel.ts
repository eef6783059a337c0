// Writing to and reading from an SSH channel. Under a PTY the client's terminal is raw, so
// this is the one place that maps LF to CR LF; writes after the client left are dropped.
import type { ServerChannel } from 'ssh2';
import { GatehouseError } from '../errors.js';
import type { Sink } from '../shell/output.js';

export function toCrlf(text: string): string {
  return text.replace(/\r?\n/g, '\r\n');
}

function open(channel: ServerChannel): boolean {
  return !channel.destroyed && channel.writable;
}

/**
 * Text written to a channel in this tick and not sent yet. Every channel write is an SSH packet of
 * its own (random padding, encryption, a socket write), and a command prints line by line:
 * `whoami` sent 4 packets for 4 lines. Writes of one tick now leave as one packet, at the end of
 * the tick or before the exit status (flushChannel): in the 100-session bench, 14.7 socket writes
 * a session instead of 17.4 (strace; the ssh2 floor makes 14.0) (issue 18). Order is kept: text
 * for the other stream flushes what is pending first.
 */
const pending = new WeakMap<ServerChannel, { stderr: boolean; text: string }>();

export function channelSink(channel: ServerChannel, pty: boolean): Sink {
  return (stream, text) => {
    if (!open(channel)) return;
    const stderr = stream === 'stderr' && !pty;
    const data = pty ? toCrlf(text) : text;
    const p = pending.get(channel);
    if (p?.stderr === stderr) return void (p.text += data);
    if (p) flushChannel(channel);
    pending.set(channel, { stderr, text: data });
    queueMicrotask(() => flushChannel(channel));
  };
}

/** Sends what channelSink holds for this channel: call it before the exit status and EOF. */
export function flushChannel(channel: ServerChannel): void {
  const p = pending.get(channel);
  if (!p) return;
  pending.delete(channel);
  if (!open(channel)) return; // writes after the client left are dropped, as before
  if (p.stderr) channel.stderr.write(p.text);
  else channel.write(p.text);
}

/** The interactive session's terminal: its size, and writes that follow its line ending. */
export class TerminalOutput {
  constructor(
    private readonly channel: ServerChannel,
    public columns: number,
    public rows: number,
    /** Under a PTY the client's terminal is raw: LF must become CR LF. Without one, LF stays. */
    private readonly crlf = true,
  ) {}

  resize(columns: number, rows: number): void {
    this.columns = columns > 0 ? Math.min(columns, 10_000) : this.columns;
    this.rows = rows > 0 ? Math.min(rows, 10_000) : this.rows;
  }

  write(text: string): void {
    if (open(this.channel)) this.channel.write(this.crlf ? toCrlf(text) : text);
  }

  /** The client is not reading what we send: stop reading what it types until it catches up. */
  get backedUp(): boolean {
    return this.channel.writableNeedDrain;
  }
}

/** Why a read ends early: the user pressed ^C, or the server is shutting down. */
export function cancelled(why?: string): GatehouseError {
  return new GatehouseError('invalid_input', why ? `cancelled: ${why}` : 'cancelled');
}

/** All of stdin until EOF (exec mode), bounded so a runaway pipe cannot exhaust memory. */
export function readToEnd(channel: ServerChannel, signal?: AbortSignal, limit = 1 << 20): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        cleanup();
        reject(new GatehouseError('too_large', 'input on stdin is too large (at most 1 MiB)'));
      } else chunks.push(c);
    };
    const onEnd = () => {
      cleanup();
      resolve(Buffer.concat(chunks).toString('utf8').trim());
    };
    // Input cut off by a shutdown is not the input the user meant: never act on it.
    const onAbort = () => {
      cleanup();
      reject(cancelled(String(signal?.reason ?? 'aborted')));
    };
    const cleanup = () => {
      channel.off('data', onData);
      channel.off('end', onEnd);
      channel.off('close', onEnd);
      signal?.removeEventListener('abort', onAbort);
    };
    if (signal?.aborted) return onAbort();
    if (channel.readableEnded) return resolve(''); // read before: EOF again, not a wait forever
    channel.on('data', onData);
    channel.once('end', onEnd);
    channel.once('close', onEnd);
    signal?.addEventListener('abort', onAbort);
  });
}
