// A Responses API turn through gatehouse over its two transports, each against the mock's own:
// the HTTP stream (POST /v1/responses, SSE) and the Responses WebSocket relay (one socket, a turn
// per response.create). Both answers are the same 200 events, the first at once and the rest one
// tick later, so "added" time to the first byte/frame is what each transport costs in gatehouse.
import type { SocketResult } from '../jobs/socket.js';
import type { StreamResult } from '../jobs/stream.js';
import { RESPONSE_CREATE, RESPONSES_BODY, RESPONSES_PATH } from '../responses.js';
import type { BenchContext } from './context.js';

export type SocketTarget = 'direct' | 'gatehouse';
export interface SocketRun {
  http: Record<SocketTarget, StreamResult>;
  socket: Record<SocketTarget, SocketResult>;
}

const TARGETS: SocketTarget[] = ['direct', 'gatehouse'];
const REQUEST = { method: 'POST' as const, path: RESPONSES_PATH, headers: { 'content-type': 'application/json', accept: 'text/event-stream', 'user-agent': 'gatehouse-bench/1' }, body: RESPONSES_BODY };

export async function responsesTurns(ctx: BenchContext, run: number): Promise<SocketRun> {
  const out: SocketRun = { http: {} as SocketRun['http'], socket: {} as SocketRun['socket'] };
  for (const t of TARGETS) {
    const origin = ctx.origins[t];
    out.http[t] = await ctx.load.run('stream', { origin, request: REQUEST, count: 60, warmup: 20, localAddress: ctx.localAddress });
    out.socket[t] = await ctx.load.run('socket', { url: origin.replace(/^http/, 'ws') + RESPONSES_PATH, frame: RESPONSE_CREATE, count: 60, warmup: 20, localAddress: ctx.localAddress });
    const [h, s] = [out.http[t], out.socket[t]];
    ctx.log(`  run ${run} responses ${t.padEnd(9)} http ttfb ${h.ttfbP50.toFixed(3)} ms total ${h.totalP50.toFixed(3)} ms | websocket first frame ${s.ttfbP50.toFixed(3)} ms total ${s.totalP50.toFixed(3)} ms  failures ${h.failures + s.failures}${s.error ? ` (${s.error})` : ''}${h.error ? ` (${h.error})` : ''}`);
  }
  return out;
}
