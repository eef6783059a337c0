// Phases that are checks more than loads: every provider route answers through gatehouse and is
// metered; 100 SSH sessions at once; whether the server honoured GATEHOUSE_METERING=off.
import { cpuMs } from '../cpu.js';
import { usageRequests } from '../gatehouse.js';
import type { SshStormResult } from '../jobs/sshStorm.js';
import { benchRequest, PROVIDERS, type MockMode } from '../requests.js';
import type { BenchContext } from './context.js';

export interface SanityResult {
  /** "provider mode" → chunks received, or an error. */
  routes: Record<string, string>;
  failures: number;
  /** Usage rows written for the sanity requests (one per request is expected). */
  metered: number;
  requests: number;
}

export async function sanity(ctx: BenchContext): Promise<SanityResult> {
  const before = await usageRequests(ctx.gatehouse, ctx.privateKey);
  const routes: Record<string, string> = {};
  let failures = 0;
  let requests = 0;
  for (const p of PROVIDERS) {
    for (const mode of ['json', 'sse'] as MockMode[]) {
      const r = await ctx.load.run('stream', { origin: ctx.origins.gatehouse, request: benchRequest(p, mode), count: 1, warmup: 0, localAddress: ctx.localAddress });
      requests++;
      failures += r.failures;
      routes[`${p} ${mode}`] = r.failures ? `FAILED: ${r.error}` : `ok (${r.chunks} chunks)`;
    }
  }
  const metered = (await usageRequests(ctx.gatehouse, ctx.privateKey)) - before;
  ctx.log(`  routes: ${Object.entries(routes).map(([k, v]) => `${k} ${v}`).join(', ')}; usage rows ${metered}/${requests}`);
  return { routes, failures, metered, requests };
}

export const SSH_SESSIONS = 100;

export interface SshRun extends SshStormResult {
  /** Gatehouse CPU per session (handshake, auth, command), ms. */
  cpuMsPerSession: number;
  /** One session alone, ms: latency that is not queueing behind the others. */
  alone: number;
}

export async function sshSessions(ctx: BenchContext, run: number): Promise<SshRun> {
  const job = { port: ctx.gatehouse.sshPort, privateKey: ctx.privateKey, command: 'whoami' };
  const alone = await ctx.load.run('sshStorm', { ...job, sessions: 1 });
  const cpu0 = cpuMs(ctx.pids.gatehouse);
  const r = await ctx.load.run('sshStorm', { ...job, sessions: SSH_SESSIONS });
  const out = { ...r, cpuMsPerSession: (cpuMs(ctx.pids.gatehouse) - cpu0) / SSH_SESSIONS, alone: alone.p50 };
  ctx.log(`  run ${run} ssh ${SSH_SESSIONS} x whoami  p50 ${r.p50.toFixed(1)} ms  p99 ${r.p99.toFixed(1)} ms  failures ${r.failures}  CPU ${out.cpuMsPerSession.toFixed(2)} ms/session  alone ${out.alone.toFixed(1)} ms`);
  return out;
}

/** Metering off is honoured when the "off" server wrote no usage rows during its load. */
export async function meteringOffHonoured(ctx: BenchContext): Promise<{ honoured: boolean; rows: number }> {
  const rows = await usageRequests(ctx.meteringOff, ctx.privateKey);
  return { honoured: rows === 0, rows };
}
