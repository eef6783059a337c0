// 10,000 SSE streams held open for 10 s (an event a second) while the server's RSS is sampled.
// The floor is run once as the reference for what a minimal Node proxy needs.
import { HOLD_EVENTS } from '../mock.js';
import type { HoldResult } from '../jobs/hold.js';
import { memoryOf, nofile, sampleRss } from '../procs.js';
import { benchRequest } from '../requests.js';
import type { BenchContext } from './context.js';

export const HOLD_STREAMS = 10_000;
export const STALL_MS = 2000;
/** Descriptors a proxy needs besides its streams (listeners, database, pipes, epoll …); gatehouse uses ~40. */
const FD_RESERVE = 200;
/** A proxy holds 2 descriptors a stream: without a raised limit, fewer streams are held and the targets say so. */
export const heldStreams = Math.min(HOLD_STREAMS, Math.floor((nofile - FD_RESERVE) / 2));
/**
 * Opens spread over this long. At ~0.3 ms of server CPU an open, 10,000 opens in 1 s queue ~2 s
 * of work: the last stream's headers would come after the stall threshold, a stall of the
 * bench's making. 10 s keeps the opens at ~30% of the server core.
 */
const RAMP_MS = 10_000;
const HOLD_MS = (HOLD_EVENTS - 1) * 1000;

export interface HoldRun extends HoldResult {
  /** VmRSS just before the streams opened (after warm-up, and after earlier runs on the same process), MB. */
  rssBeforeMb: number;
  /** Largest VmRSS sampled during the run, MB. */
  peakRssMb: number;
  /** (peakRssMb − rssBeforeMb) × 1024 ÷ streams. */
  kbPerStream: number;
}

/** `server` is the floor, or a gatehouse of its own: the held streams leave other servers' histories alike. */
export async function holdStreams(ctx: BenchContext, target: 'floor' | 'gatehouse', server: { origin: string; pid: number }, run: number): Promise<HoldRun> {
  const rssBeforeMb = memoryOf(server.pid).rssMb;
  const rss = sampleRss(server.pid);
  const result = await ctx.load.run('hold', {
    origin: server.origin,
    request: benchRequest('anthropic', 'hold'),
    streams: heldStreams,
    rampMs: RAMP_MS,
    deadlineMs: HOLD_MS + 8000,
    stallMs: STALL_MS,
    localAddress: ctx.localAddress,
  });
  const peakRssMb = rss.stop();
  const out = { ...result, rssBeforeMb, peakRssMb, kbPerStream: ((peakRssMb - rssBeforeMb) * 1024) / result.streams };
  ctx.log(`  run ${run} hold ${target.padEnd(10)} ${out.complete}/${out.streams} complete, ${out.stalled} stalled, ${out.failed} failed, max gap ${(out.maxGapMs / 1000).toFixed(2)} s (headers after ${(out.maxFirstByteMs / 1000).toFixed(2)} s at worst), RSS ${rssBeforeMb.toFixed(0)} -> peak ${peakRssMb.toFixed(0)} MB (${out.kbPerStream.toFixed(1)} KB/stream), ${out.seconds.toFixed(1)} s`);
  return out;
}
