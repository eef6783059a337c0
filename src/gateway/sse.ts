// An SSE stream on its way to the client, kept at event boundaries: only whole events are passed
// on (the incomplete tail of a chunk waits for the rest of its event), so that whatever ends the
// stream (an upstream failure, a shutdown) can end it with an error event the client parses, and
// keep-alive comments can be written at any time. Providers write whole events per chunk, so
// holding back normally delays nothing; the cost is one native search from the end of each chunk.
import type { ServerResponse } from 'node:http';

const EMPTY = Buffer.alloc(0);
const LF_LF = Buffer.from('\n\n');
const LF_CRLF = Buffer.from('\n\r\n');
const SEQUENCE = Buffer.from('"sequence_number"');

export class SseFramer {
  /** The incomplete event so far, as received (a list: one concat when it completes, never one per chunk). */
  private held: Buffer[] = [];
  /** The last whole events passed on, kept only when `keepLast` (a Responses stream's sequence number). */
  private last?: Buffer;

  constructor(private readonly keepLast = false) {}

  /** The events this chunk completes; the rest of it is held until its event completes. */
  push(chunk: Buffer): Buffer {
    if (chunk.length === 0) return EMPTY;
    const cut = this.boundaryEnd(chunk);
    if (cut === 0) {
      this.held.push(chunk);
      return EMPTY;
    }
    let out = cut === chunk.length ? chunk : chunk.subarray(0, cut);
    if (this.held.length) {
      this.held.push(out);
      out = Buffer.concat(this.held);
      this.held = [];
    }
    if (cut < chunk.length) this.held.push(chunk.subarray(cut));
    if (this.keepLast) this.last = out;
    return out;
  }

  /** What is held when the stream ends normally: passed on as it came. */
  flush(): Buffer {
    const out = this.held.length ? Buffer.concat(this.held) : EMPTY;
    this.held = [];
    return out;
  }

  /** Forgets the incomplete event (the stream failed: it will never complete). */
  drop(): void {
    this.held = [];
  }

  /** The Responses sequence number after the last event passed on (0 when none was seen). */
  nextSequence(): number {
    const at = this.last?.lastIndexOf(SEQUENCE) ?? -1;
    if (at === -1) return 0;
    const m = /^\s*:\s*(\d{1,15})/.exec(this.last!.toString('latin1', at + SEQUENCE.length, at + SEQUENCE.length + 24));
    return m ? Number(m[1]) + 1 : 0;
  }

  /** Just past the last blank line (LF LF or LF CR LF) in chunk, or 0; one may begin in what is held. */
  private boundaryEnd(chunk: Buffer): number {
    const lf = chunk.lastIndexOf(LF_LF);
    const crlf = chunk.lastIndexOf(LF_CRLF);
    const end = Math.max(lf === -1 ? 0 : lf + 2, crlf === -1 ? 0 : crlf + 3);
    if (end || !this.held.length) return end;
    // A blank line split between chunks: its first bytes end what is held.
    const tail = this.heldTail();
    const joint = Buffer.concat([tail, chunk.subarray(0, 2)]);
    const jl = joint.lastIndexOf(LF_LF);
    const jc = joint.lastIndexOf(LF_CRLF);
    return Math.max(0, jl === -1 ? 0 : jl + 2 - tail.length, jc === -1 ? 0 : jc + 3 - tail.length);
  }

  /** The last two bytes held (they may span two held chunks). */
  private heldTail(): Buffer {
    const last = this.held[this.held.length - 1];
    if (last.length >= 2 || this.held.length === 1) return last.subarray(-2);
    return Buffer.concat([this.held[this.held.length - 2].subarray(-1), last]);
  }
}

/** Writes ": keep-alive" comments after `quietMs` without a write: safe at any time, as only whole events are written. */
export class SseKeepalive {
  private timer: NodeJS.Timeout;

  constructor(
    private readonly res: ServerResponse,
    private readonly quietMs: number,
  ) {
    this.timer = setTimeout(() => this.tick(), quietMs);
  }

  wrote(): void {
    this.timer.refresh();
  }

  private tick(): void {
    if (!this.res.destroyed && !this.res.writableEnded) this.res.write(': keep-alive\n\n');
    this.timer = setTimeout(() => this.tick(), this.quietMs);
  }

  stop(): void {
    clearTimeout(this.timer);
  }
}
