// An SSE stream on its way to the client, kept at event boundaries: only whole events are passed
// on (the incomplete tail of a chunk waits for the rest of its event), so that whatever ends the
// stream (an upstream failure, a shutdown) can end it with an error event the client parses, and
// keep-alive comments can be written at any time. Providers write whole events per chunk, so
// holding back normally delays nothing; the cost is one native search from the end of each chunk.
import type { ServerResponse } from 'node:http';

const EMPTY = Buffer.alloc(0);
const LF = 0x0a;
const CR = 0x0d;
const SEQUENCE = Buffer.from('"sequence_number"');
/**
 * The most held for one incomplete event. Beyond it (an event larger than any real one, or an
 * upstream that never writes a blank line) the bytes pass on as they come, as before framing,
 * and the stream is not at a boundary until its next blank line: memory stays bounded.
 */
export const MAX_HELD = 1024 * 1024;

export class SseFramer {
  /** The incomplete event so far, as received (a list: one concat when it completes, never one per chunk). */
  private held: Buffer[] = [];
  private heldBytes = 0;
  /** Everything passed on so far ends with a whole event (false only past MAX_HELD). */
  atBoundary = true;
  /** The last whole events passed on, kept only when `keepLast` (a Responses stream's sequence number). */
  private last?: Buffer;

  constructor(private readonly keepLast = false) {}

  /** The events this chunk completes; the rest of it is held until its event completes. */
  push(chunk: Buffer): Buffer {
    if (chunk.length === 0) return EMPTY;
    const cut = this.boundaryEnd(chunk);
    if (cut === 0) {
      // Off a boundary already (see MAX_HELD): holding would not bring one back.
      if (!this.atBoundary) return chunk;
      this.held.push(chunk);
      this.heldBytes += chunk.length;
      if (this.heldBytes <= MAX_HELD) return EMPTY;
      this.atBoundary = false;
      return this.flush();
    }
    let out = cut === chunk.length ? chunk : chunk.subarray(0, cut);
    if (this.held.length) {
      this.held.push(out);
      out = Buffer.concat(this.held);
      this.held = [];
      this.heldBytes = 0;
    }
    if (cut < chunk.length) {
      this.held.push(chunk.subarray(cut));
      this.heldBytes = chunk.length - cut;
    }
    this.atBoundary = true;
    if (this.keepLast) this.last = out;
    return out;
  }

  /** What is held when the stream ends normally: passed on as it came. */
  flush(): Buffer {
    const out = this.held.length ? Buffer.concat(this.held) : EMPTY;
    this.held = [];
    this.heldBytes = 0;
    return out;
  }

  /** Forgets the incomplete event (the stream failed: it will never complete). */
  drop(): void {
    this.held = [];
    this.heldBytes = 0;
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
    // From the end, LF by LF (memrchr): usually the chunk ends with its blank line, found at once.
    for (let i = chunk.lastIndexOf(LF); i !== -1; i = i === 0 ? -1 : chunk.lastIndexOf(LF, i - 1)) {
      if (i >= 1 && chunk[i - 1] === LF) return i + 1;
      if (i >= 2 && chunk[i - 1] === CR && chunk[i - 2] === LF) return i + 1;
      if (i < 2 && this.held.length && this.endsBlankLine(chunk, i)) return i + 1;
    }
    return 0;
  }

  /** Whether the LF at `i` (0 or 1) of `chunk` ends a blank line begun in what is held. */
  private endsBlankLine(chunk: Buffer, i: number): boolean {
    const tail = this.heldTail();
    const last = tail.length >= 1 ? tail[tail.length - 1] : -1;
    const prev = tail.length >= 2 ? tail[tail.length - 2] : -1;
    if (i === 0) return last === LF || (last === CR && prev === LF);
    return chunk[0] === CR && last === LF;
  }

  /** The last two bytes held (they may span two held chunks). */
  private heldTail(): Buffer {
    const last = this.held[this.held.length - 1];
    if (last.length >= 2 || this.held.length === 1) return last.subarray(-2);
    return Buffer.concat([this.held[this.held.length - 2].subarray(-1), last]);
  }
}

const BLANK_LF = Buffer.from('\n\n');
const BLANK_CRLF = Buffer.from('\n\r\n');

/**
 * The event of whole events (`bytes` ends at an event boundary) that holds byte `at`: from just
 * past the blank line before it (or the start) to just past the blank line after it.
 */
export function eventAround(bytes: Buffer, at: number): [start: number, end: number] {
  const lfBefore = bytes.lastIndexOf(BLANK_LF, at);
  const crlfBefore = bytes.lastIndexOf(BLANK_CRLF, at);
  const start = Math.max(lfBefore === -1 ? 0 : lfBefore + 2, crlfBefore === -1 ? 0 : crlfBefore + 3);
  const lf = bytes.indexOf(BLANK_LF, at);
  const crlf = bytes.indexOf(BLANK_CRLF, at);
  const end = Math.min(lf === -1 ? bytes.length : lf + 2, crlf === -1 ? bytes.length : crlf + 3);
  return [start, end];
}

/**
 * Writes ": keep-alive" comments after `quietMs` without a write, only between events. A write
 * only notes the time: refreshing the timer on every event cost more (a timer-list insertion per
 * event, issue 18's profile); the timer, when it fires early, waits out the rest.
 */
export class SseKeepalive {
  private timer: NodeJS.Timeout;
  private lastWrite = performance.now();

  constructor(
    private readonly res: ServerResponse,
    private readonly quietMs: number,
    private readonly framer: SseFramer,
  ) {
    this.timer = setTimeout(() => this.tick(), quietMs);
  }

  wrote(): void {
    this.lastWrite = performance.now();
  }

  private tick(): void {
    const quiet = performance.now() - this.lastWrite;
    if (quiet < this.quietMs) {
      this.timer = setTimeout(() => this.tick(), this.quietMs - quiet);
      return;
    }
    if (this.framer.atBoundary && !this.res.destroyed && !this.res.writableEnded) this.res.write(': keep-alive\n\n');
    this.lastWrite = performance.now();
    this.timer = setTimeout(() => this.tick(), this.quietMs);
  }

  stop(): void {
    clearTimeout(this.timer);
  }
}
