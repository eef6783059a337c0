// Pull-style reading of lines from the SSH channel, for the interactive prompt and its questions.
// Nothing is read until the first prompt: keys typed early wait in the channel (typeahead), and
// each line stops the reading until it has been handled, so later keys echo after the next prompt.
// Reading also stops while a Tab completion runs and while the client is not reading our output.
// While a command runs interruptible work, reading goes on under a PTY so that ^C (or ^D) can
// cancel it; other keys wait as typeahead (past QUEUE_HIGH they are dropped, reading goes on).
// At EOF (`ssh -tt host < file`) or ^D, the lines already submitted with Enter are still handed
// out, then undefined. Text left on the line at EOF was never submitted and is dropped: a
// half-typed `rm devbox` must not run because the client left.
// Work per turn of the event loop is bounded (TURN_BUDGET) and every key costs O(1) or what it
// edits (issue 11.2): one session, however hostile, cannot hold the loop that serves everyone.
import type { ServerChannel } from 'ssh2';
import { GatehouseError } from '../errors.js';
import { BracketedPaste, KeyQueue, type Token } from './bracketedPaste.js';
import type { TerminalOutput } from './channel.js';
import { cancelled } from './channel.js';
import type { Watch } from './interrupt.js';
import { LineEditor, LINE_LIMIT, type Completion, type Outcome } from './lineEditor.js';
import { PlainLine } from './plainLine.js';

// Work per turn of the event loop: about one unit per key (a run of text costs 1 per 16 code
// units), so that a session's input never holds the loop for more than a few milliseconds.
const TURN_BUDGET = 4096;
const QUEUE_HIGH = 64 * 1024; // stop reading the channel with this much waiting (code units)

type Result = Outcome | { kind: 'end' };

export const lineTooLong = () => new GatehouseError('too_large', `line too long (at most ${LINE_LIMIT / 1024} KiB); it was not run`);

export class LineReader {
  private readonly decoder = new BracketedPaste();
  private readonly queue = new KeyQueue();
  /** The line editor under a PTY; without one, input is plain lines. */
  readonly editor: LineEditor | undefined;
  private readonly plain = new PlainLine(LINE_LIMIT);
  private waiting: ((r: Result) => void) | undefined;
  /** Set while a command's interruptible work runs: ^C or ^D calls it. */
  private interrupt: ((why?: string) => void) | undefined;
  private busy = false; // a completion is running
  private ended = false;
  private closed = false;
  private lastWasCR = false;
  private flushing: NodeJS.Timeout | undefined;
  /** Set while this turn's budget is being spent; the next turn resets it and pumps again. */
  private turn: NodeJS.Immediate | undefined;
  private spent = 0;

  constructor(
    private readonly channel: ServerChannel,
    private readonly term: TerminalOutput,
    pty: boolean,
    /** Tab completion of the text before the cursor. */
    public complete: (before: string) => Promise<Completion> = async () => [[], ''],
  ) {
    if (pty) this.editor = new LineEditor((t) => term.write(t), () => term.columns);
    channel.on('data', this.onData);
    channel.on('end', this.onEnd);
    channel.on('drain', this.onDrain);
    channel.pause();
  }

  /** Shows `prompt` and resolves with the next line; undefined at EOF, ^D or ^C on an empty line. */
  async next(prompt: string, onTooLong: (err: GatehouseError) => void): Promise<string | undefined> {
    for (;;) {
      const r = await this.read(prompt, true);
      if (r.kind === 'line' && !r.tooLong) return r.line;
      if (r.kind === 'line') onTooLong(lineTooLong());
      else if (r.kind === 'interrupt' && !r.empty) this.editor!.abandon('^C');
      else {
        if (r.kind !== 'end') this.editor?.abandon('');
        return undefined;
      }
    }
  }

  /**
   * A command's question (a public key, a secret). ^C, ^D on an empty line, or the end of the
   * session cancel it: the command fails with "cancelled" instead of going on with no answer.
   */
  async ask(label: string, secret: boolean): Promise<string> {
    const r = await this.read(label, !secret);
    if (r.kind === 'line' && r.tooLong) throw new GatehouseError('too_large', `answer too long (at most ${LINE_LIMIT / 1024} KiB)`);
    if (r.kind === 'line') return r.line.trim();
    if (r.kind !== 'end') this.editor?.abandon(r.kind === 'interrupt' ? '^C' : '');
    throw cancelled();
  }

  /**
   * While the returned watch runs, ^C or ^D aborts (under a PTY; without one stdin is the next
   * commands, never a key). Keys typed ahead are dropped with the ^C, as a shell's line discipline does.
   */
  interrupts(): Watch {
    return (abort) => {
      if (!this.editor || this.closed) return () => {};
      this.interrupt = abort;
      this.updateFlow();
      return () => {
        this.interrupt = undefined;
        this.updateFlow();
      };
    };
  }

  /** The session is over: lines typed ahead are dropped and a pending read ends. */
  close(): void {
    this.interrupt?.('the session ended');
    this.interrupt = undefined;
    this.closed = true;
    this.queue.clear();
    clearTimeout(this.flushing);
    clearImmediate(this.turn);
    this.channel.off('data', this.onData);
    this.settle({ kind: 'end' });
  }

  resize(): void {
    this.editor?.resize();
    this.scheduleFlush();
  }

  private read(prompt: string, echo: boolean): Promise<Result> {
    if (this.closed) return Promise.resolve({ kind: 'end' });
    if (this.editor) this.editor.begin(prompt, echo);
    else this.term.write(prompt);
    return new Promise((resolve) => {
      this.waiting = resolve;
      this.pump();
    });
  }

  private readonly onData = (chunk: Buffer) => {
    const segments = this.decoder.write(chunk);
    // A paste never carries a control key (bracketedPaste.ts drops them), so only typed text is looked at.
    if (this.interrupt && segments.some((s) => !s.paste && /[\x03\x04]/.test(s.text))) return this.interrupted();
    // While interruptible work runs we keep reading however much is typed ahead, so that a ^C after
    // QUEUE_HIGH is still seen (review item 10); the keys past it are dropped, as a full tty drops them.
    if (this.interrupt && this.queue.size >= QUEUE_HIGH) return;
    this.queue.push(segments);
    this.pump();
  };

  private interrupted(): void {
    const abort = this.interrupt!;
    this.interrupt = undefined;
    this.queue.clear();
    this.term.write('^C\n');
    abort();
    this.updateFlow();
  }

  private readonly onEnd = () => {
    this.queue.push(this.decoder.end());
    this.ended = true;
    this.pump();
  };

  private readonly onDrain = () => this.updateFlow();

  /**
   * Hands queued input to the editor while a read waits, within this turn's budget; the rest waits
   * for the next turn (and past QUEUE_HIGH, in the channel: the client's window closes). A channel
   * resumed after a pause emits everything it buffered in one go; the budget spans those calls.
   */
  private pump(): void {
    while (this.waiting && !this.busy && this.spent < TURN_BUDGET) {
      const token = this.queue.next();
      if (!token) break;
      this.spent += token.text === undefined ? 1 : 1 + (token.text.length >> 4);
      const result = this.apply(token);
      if (result) this.settle(result);
    }
    if (this.waiting && !this.busy && this.queue.empty && this.ended) this.settle({ kind: 'end' });
    this.turn ??= setImmediate(() => {
      this.turn = undefined;
      this.spent = 0;
      if (!this.queue.empty && !this.closed) this.pump();
    });
    this.scheduleFlush();
    this.updateFlow();
  }

  private apply(token: Token): Result | undefined {
    if (token.key === '\n' && this.lastWasCR) return (this.lastWasCR = false), undefined; // CR LF is one Enter
    this.lastWasCR = token.key === '\r';
    if (!this.editor) return this.plain.feed(token);
    const result = this.editor.feed(token);
    if (result?.kind !== 'complete') return result;
    this.busy = true;
    const editor = this.editor;
    this.complete(result.before)
      .then((c) => !this.closed && editor.completed(c, result.listing), () => {})
      .finally(() => {
        this.busy = false;
        this.pump();
      });
    return undefined;
  }

  private settle(result: Result): void {
    const waiting = this.waiting;
    this.waiting = undefined;
    if (result.kind === 'end' && this.editor && !this.editor.empty) this.editor.abandon(''); // dropped, on its own line
    waiting?.(result);
  }

  /**
   * The screen follows the line once per turn of the event loop (or less often for a long line
   * redrawn again and again), however many packets came.
   */
  private scheduleFlush(): void {
    if (!this.editor || this.flushing || this.closed) return;
    this.flushing = setTimeout(() => {
      this.flushing = undefined;
      this.editor!.flush();
      this.updateFlow();
    }, this.editor.flushDelay());
  }

  private updateFlow(): void {
    const reading = this.waiting !== undefined && !this.busy && this.queue.size < QUEUE_HIGH && !this.term.backedUp;
    // Watching for ^C never pauses: onData drops what does not fit (work per key stays O(1)).
    const want = !this.closed && (reading || this.interrupt !== undefined);
    if (want && this.channel.isPaused()) this.channel.resume();
    else if (!want && !this.channel.isPaused()) this.channel.pause();
  }
}
