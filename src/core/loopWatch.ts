// Watches the one event loop every SSH session and every VM request share (STYLE habit 11). A task
// that holds it for long stalls everyone, so such a stall is logged with what was in flight then,
// and the delay figures are kept for the metrics endpoint to publish.
//
// How: node's monitorEventLoopDelay histogram for the figures, plus a cheap interval whose lateness
// is the length of the task that delayed it. Which task that was cannot be known without async
// hooks on every callback (too dear for the hot path), so the warning names every request and
// command in flight, oldest first: the culprit is among them. Labels never carry argument values,
// queries or headers: they may hold secrets.
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import type { Log } from '../log.js';

export interface LoopDelay {
  /** Milliseconds, over the process's life (or since the last reset). */
  mean: number;
  p50: number;
  p99: number;
  max: number;
  /** Stalls logged since start. */
  stalls: number;
}

const TICK_MS = 50;
const MAX_LISTED = 5;

export class LoopWatch {
  private readonly histogram: IntervalHistogram = monitorEventLoopDelay({ resolution: 10 });
  /** label → start time; a Map keeps insertion order, so the oldest comes first. */
  private readonly inFlight = new Map<symbol, { label: string; since: number }>();
  private readonly timer: NodeJS.Timeout;
  private expected = performance.now() + TICK_MS;
  private stalls = 0;
  /** The longest lateness this watch saw itself (the histogram records a stall only at its next sample). */
  private longest = 0;

  constructor(
    private readonly log: Log,
    /** A single task holding the loop longer than this is logged. */
    private readonly thresholdMs: number,
  ) {
    this.histogram.enable();
    this.timer = setInterval(() => this.tick(), TICK_MS);
    this.timer.unref();
  }

  /** Registers work in flight (a gateway request, an SSH command); call the result when it ends. */
  begin(label: string): () => void {
    const id = Symbol();
    this.inFlight.set(id, { label, since: performance.now() });
    return () => void this.inFlight.delete(id);
  }

  delay(): LoopDelay {
    const ms = (ns: number) => Math.round(ns / 1e4) / 100;
    const h = this.histogram;
    return { mean: ms(h.count ? h.mean : 0), p50: ms(h.count ? h.percentile(50) : 0), p99: ms(h.count ? h.percentile(99) : 0), max: Math.max(ms(h.count ? h.max : 0), Math.round(this.longest * 100) / 100), stalls: this.stalls };
  }

  stop(): void {
    clearInterval(this.timer);
    this.histogram.disable();
  }

  private tick(): void {
    const now = performance.now();
    const late = now - this.expected;
    this.expected = now + TICK_MS;
    if (late > this.longest) this.longest = late;
    if (late < this.thresholdMs) return;
    this.stalls++;
    const listed = [...this.inFlight.values()].slice(0, MAX_LISTED).map((a) => `${a.label} (${Math.round(now - a.since)} ms)`);
    const more = this.inFlight.size > MAX_LISTED ? ` and ${this.inFlight.size - MAX_LISTED} more` : '';
    this.log.warn(`event loop blocked for ${Math.round(late)} ms; in flight: ${listed.join('; ') || 'nothing (timers or I/O callbacks)'}${more}`);
  }
}
