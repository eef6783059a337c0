// HTTP phases: throughput at 50 connections (and metering off), latency at concurrency 1, and
// SSE timing (200 chunks at once; 200 chunks paced 2 ms apart). Targets alternate within a run,
// so slow drift of the machine touches them alike.
import { cpuMs } from '../cpu.js';
import type { CannonResult } from '../jobs/cannon.js';
import type { StreamResult } from '../jobs/stream.js';
import { benchRequest } from '../requests.js';
import { TARGETS, type BenchContext, type TargetName } from './context.js';

/** Server CPU per request, µs: the process under test, and the mock behind it. */
export interface Priced extends CannonResult {
  cpuUs: number;
  mockCpuUs: number;
}
export type ThroughputRun = Record<TargetName | 'meteringOff', Priced> & { postgres?: Priced };
export type LatencyRun = Record<TargetName, CannonResult>;
export interface StreamRun {
  burst: Record<TargetName, StreamResult>;
  paced: Record<TargetName, StreamResult>;
}

const JSON_REQUEST = benchRequest('anthropic', 'json');

type Loaded = TargetName | 'meteringOff' | 'postgres';

/** Every server under throughput load; the PostgreSQL-backed gatehouse only when PostgreSQL is installed. */
const loaded = (ctx: BenchContext): Loaded[] => [...TARGETS, 'meteringOff', ...(ctx.origins.postgres ? ['postgres' as const] : [])];

/** Unmeasured load on every server first: the first measured run would otherwise pay for JIT warm-up. */
export async function warmUp(ctx: BenchContext, origins: string[] = loaded(ctx).map((t) => ctx.origins[t]!)): Promise<void> {
  for (const origin of origins) {
    await ctx.load.run('cannon', { origin, request: JSON_REQUEST, connections: 50, seconds: WARM_UP_SECONDS, warmupSeconds: 0, localAddress: ctx.localAddress });
  }
}
const WARM_UP_SECONDS = 3;

export async function throughput(ctx: BenchContext, run: number): Promise<ThroughputRun> {
  const out = {} as ThroughputRun;
  // Each run starts with another target, so no server is always measured first (or last).
  const targets = loaded(ctx);
  const order = targets.map((_, i) => targets[(i + run - 1) % targets.length]);
  for (const t of order) {
    const [cpu0, mock0] = [cpuMs(ctx.pids[t]!), cpuMs(ctx.pids.direct)];
    const r = await ctx.load.run('cannon', { origin: ctx.origins[t]!, request: JSON_REQUEST, connections: 50, seconds: ctx.seconds, warmupSeconds: 1, localAddress: ctx.localAddress });
    const mockCpuUs = ((cpuMs(ctx.pids.direct) - mock0) * 1000) / r.allRequests;
    out[t] = { ...r, cpuUs: t === 'direct' ? mockCpuUs : ((cpuMs(ctx.pids[t]!) - cpu0) * 1000) / r.allRequests, mockCpuUs };
    ctx.log(`  run ${run} c=50 ${t.padEnd(11)} ${r.rps.toFixed(0)} req/s  p50 ${r.p50.toFixed(2)} ms  p99 ${r.p99.toFixed(2)} ms  failures ${r.failures}  CPU ${out[t].cpuUs.toFixed(0)} µs/req (+ mock ${mockCpuUs.toFixed(0)})`);
  }
  return out;
}

export async function latency(ctx: BenchContext, run: number): Promise<LatencyRun> {
  const out = {} as LatencyRun;
  for (const t of TARGETS) {
    out[t] = await ctx.load.run('cannon', { origin: ctx.origins[t], request: JSON_REQUEST, connections: 1, seconds: Math.max(2, Math.round(ctx.seconds / 2)), warmupSeconds: 1, localAddress: ctx.localAddress });
    ctx.log(`  run ${run} c=1  ${t.padEnd(11)} p50 ${out[t].p50.toFixed(3)} ms  p99 ${out[t].p99.toFixed(3)} ms  failures ${out[t].failures}`);
  }
  return out;
}

export async function streaming(ctx: BenchContext, run: number): Promise<StreamRun> {
  const out: StreamRun = { burst: {} as StreamRun['burst'], paced: {} as StreamRun['paced'] };
  for (const t of TARGETS) {
    out.burst[t] = await ctx.load.run('stream', { origin: ctx.origins[t], request: benchRequest('anthropic', 'sse'), count: 60, warmup: 20, localAddress: ctx.localAddress });
    out.paced[t] = await ctx.load.run('stream', { origin: ctx.origins[t], request: benchRequest('anthropic', 'paced'), count: 3, warmup: 1, localAddress: ctx.localAddress });
    const b = out.burst[t];
    const p = out.paced[t];
    ctx.log(`  run ${run} sse ${t.padEnd(11)} ttfb ${b.ttfbP50.toFixed(3)} ms  total ${b.totalP50.toFixed(3)} ms  | paced gap p50 ${p.gapP50.toFixed(3)} ms in ${p.chunks} chunks  failures ${b.failures + p.failures}`);
  }
  return out;
}
