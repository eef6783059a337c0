// Many long, quiet SSE streams open at once (the mock's "hold" mode: an event a second): do they
// all complete, and does any stall (no byte for longer than stallMs, counting from the request)?
import { setMaxListeners } from 'node:events';
import type { Socket } from 'node:net';
import { buildConnector, Pool } from 'undici';
import type { BenchRequest } from '../requests.js';

export interface HoldJob {
  origin: string;
  request: BenchRequest;
  streams: number;
  /** Streams are opened in batches over this long, so the listen backlog never overflows. */
  rampMs: number;
  /** Streams still open this long after the last one was opened are aborted and count as incomplete. */
  deadlineMs: number;
  stallMs: number;
  localAddress: string;
}

export interface HoldResult {
  streams: number;
  complete: number;
  stalled: number;
  failed: number;
  maxGapMs: number;
  /** Longest wait from sending a request to its response headers (connection set-up included). */
  maxFirstByteMs: number;
  seconds: number;
}

/** A batch of opens this often: small batches keep the accept queue short. */
const BATCH_MS = 50;

/**
 * Connections that end with a reset, not a FIN. Closed the usual way, each leaves its port of
 * 127.0.0.2 in TIME_WAIT for 60 s, and a bound port in TIME_WAIT cannot be bound again: 10,000
 * a run, four runs a minute, would take more than the 28,232 ephemeral ports.
 */
function resettable() {
  const sockets = new Set<Socket>();
  const base = buildConnector({}); // the pool's localAddress comes with each call
  const connect: buildConnector.connector = (options, callback) =>
    base(options, (err, socket) => {
      if (socket) {
        sockets.add(socket as Socket);
        socket.once('close', () => sockets.delete(socket as Socket));
      }
      (callback as (e: Error | null, s: typeof socket) => void)(err, socket);
    });
  return { connect, reset: () => sockets.forEach((s) => s.resetAndDestroy()) };
}

export async function hold(job: HoldJob): Promise<HoldResult> {
  const sockets = resettable();
  const pool = new Pool(job.origin, { connections: job.streams, localAddress: job.localAddress, connect: sockets.connect, headersTimeout: 0, bodyTimeout: 0 });
  const abort = new AbortController();
  setMaxListeners(job.streams + 10, abort.signal); // one listener per stream, by design
  const started = performance.now();
  let deadline: NodeJS.Timeout | undefined;
  let complete = 0;
  let stalled = 0;
  let failed = 0;
  let maxGapMs = 0;
  let maxFirstByteMs = 0;
  const one = async () => {
    const sent = performance.now();
    let last = sent;
    let gap = 0;
    const saw = () => {
      const now = performance.now();
      gap = Math.max(gap, now - last);
      last = now;
    };
    try {
      const res = await pool.request({ path: job.request.path, method: job.request.method, headers: job.request.headers, body: job.request.body, signal: abort.signal });
      saw();
      maxFirstByteMs = Math.max(maxFirstByteMs, last - sent);
      if (res.statusCode !== 200) throw new Error(`status ${res.statusCode}`);
      for await (const _chunk of res.body) saw();
      complete++;
    } catch {
      failed++;
    } finally {
      saw();
      maxGapMs = Math.max(maxGapMs, gap);
      if (gap > job.stallMs) stalled++;
    }
  };
  const all: Promise<void>[] = [];
  const batches = Math.max(1, Math.round(job.rampMs / BATCH_MS));
  const size = Math.ceil(job.streams / batches);
  for (let b = 0; b < batches && all.length < job.streams; b++) {
    for (let i = 0; i < size && all.length < job.streams; i++) all.push(one());
    await new Promise((r) => setTimeout(r, job.rampMs / batches));
  }
  // From the end of the ramp, which a busy load CPU stretches: else the last streams opened lose time.
  deadline = setTimeout(() => abort.abort(), job.deadlineMs);
  await Promise.all(all);
  clearTimeout(deadline);
  sockets.reset();
  await pool.destroy();
  return { streams: job.streams, complete, stalled, failed, maxGapMs, maxFirstByteMs, seconds: (performance.now() - started) / 1000 };
}
