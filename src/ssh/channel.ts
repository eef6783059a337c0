// Writing to and reading from an SSH channel. Under a PTY the client's terminal is raw, so
// this is the one place that maps LF to CR LF; writes after the client left are dropped.
import { Writable } from 'node:stream';
import type { ServerChannel } from 'ssh2';
import { GatehouseError } from '../errors.js';
import type { Sink } from '../shell/output.js';

export function toCrlf(text: string): string {
  return text.replace(/\r?\n/g, '\r\n');
}

function open(channel: ServerChannel): boolean {
  return !channel.destroyed && channel.writable;
}

export function channelSink(channel: ServerChannel, pty: boolean): Sink {
  return (stream, text) => {
    if (!open(channel)) return;
    const data = pty ? toCrlf(text) : text;
    if (stream === 'stderr' && !pty) channel.stderr.write(data);
    else channel.write(data);
  };
}

/** The terminal as node:readline sees it: size, resize events, and a mute switch for secrets. */
export class TerminalOutput extends Writable {
  readonly isTTY = true;
  muted = false;

  constructor(
    private readonly channel: ServerChannel,
    public columns: number,
    public rows: number,
    /** Under a PTY the client's terminal is raw: LF must become CR LF. Without one, LF stays. */
    private readonly crlf = true,
  ) {
    super({ decodeStrings: false });
  }

  resize(columns: number, rows: number): void {
    this.columns = columns > 0 ? columns : this.columns;
    this.rows = rows > 0 ? rows : this.rows;
    this.emit('resize');
  }

  override _write(chunk: string | Buffer, _enc: BufferEncoding, done: (err?: Error | null) => void): void {
    if (!this.muted && open(this.channel)) this.channel.write(this.crlf ? toCrlf(chunk.toString()) : chunk.toString());
    done();
  }
}

/** All of stdin until EOF (exec mode), bounded so a runaway pipe cannot exhaust memory. */
export function readToEnd(channel: ServerChannel, limit = 1 << 20): Promise<string> {
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
    const cleanup = () => {
      channel.off('data', onData);
      channel.off('end', onEnd);
      channel.off('close', onEnd);
    };
    channel.on('data', onData);
    channel.once('end', onEnd);
    channel.once('close', onEnd);
  });
}
