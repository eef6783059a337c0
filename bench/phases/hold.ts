// 2,000 SSE streams held open for 10 s (an event a second) while the server's RSS is sampled.
// The floor is run once as the reference for what a minimal Node proxy needs.
import { HOLD_EVENTS } from '../mock.js';
import type { HoldResult } from '../jobs/hold.js';
import { sampleRss } from '../procs.js';
import { benchRequest } from '../requests.js';
import type { BenchContext } from './context.js';

export const HOLD_STREAMS = 2000;
export const STALL_MS = 3000;
const HOLD_MS = (HOLD_EVENTS - 1) * 1000;

export interface HoldRun extends HoldResult {
  /** Largest VmRSS sampled during the run, MB. */
  peakRssMb: number;
}

/** `server` is the floor, or a gatehouse of its own: the held streams leave other servers' histories alike. */
export async function holdStreams(ctx: BenchContext, target: 'floor' | 'gatehouse', server: { origin: string; pid: number }, run: number): Promise<HoldRun> {
  const rss = sampleRss(server.pid);
  const result = await ctx.load.run('hold', {
    origin: server.origin,
    request: benchRequest('anthropic', 'hold'),
    streams: HOLD_STREAMS,
    rampMs: 1000,
    deadlineMs: HOLD_MS + 8000,
    stallMs: STALL_MS,
    localAddress: ctx.localAddress,
  });
  const out = { ...result, peakRssMb: rss.stop() };
  ctx.log(`  run ${run} hold ${target.padEnd(10)} ${out.complete}/${out.streams} complete, ${out.stalled} stalled, ${out.failed} failed, max gap ${(out.maxGapMs / 1000).toFixed(2)} s (headers after ${(out.maxFirstByteMs / 1000).toFixed(2)} s at worst), peak RSS ${out.peakRssMb.toFixed(0)} MB, ${out.seconds.toFixed(1)} s`);
  return out;
}
