// Many long, quiet SSE streams open at once (the mock's "hold" mode: an event a second): do they
// all complete, and does any stall (no byte for longer than stallMs, counting from the request)?
import { setMaxListeners } from 'node:events';
import { Pool } from 'undici';
import type { BenchRequest } from '../requests.js';

export interface HoldJob {
  origin: string;
  request: BenchRequest;
  streams: number;
  /** Streams are opened in batches over this long, so the listen backlog never overflows. */
  rampMs: number;
  /** Streams still open after this long are aborted and count as incomplete. */
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

export async function hold(job: HoldJob): Promise<HoldResult> {
  const pool = new Pool(job.origin, { connections: job.streams, localAddress: job.localAddress, headersTimeout: 0, bodyTimeout: 0 });
  const abort = new AbortController();
  setMaxListeners(job.streams + 10, abort.signal); // one listener per stream, by design
  const started = performance.now();
  const deadline = setTimeout(() => abort.abort(), job.deadlineMs);
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
  const batches = 20;
  for (let b = 0; b < batches; b++) {
    const size = Math.ceil(job.streams / batches);
    for (let i = 0; i < size && all.length < job.streams; i++) all.push(one());
    await new Promise((r) => setTimeout(r, job.rampMs / batches));
  }
  await Promise.all(all);
  clearTimeout(deadline);
  await pool.destroy();
  return { streams: job.streams, complete, stalled, failed, maxGapMs, maxFirstByteMs, seconds: (performance.now() - started) / 1000 };
}
