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

export interface SshStats extends SshStormResult {
  /** Server CPU per session (handshake, auth, command), ms. */
  cpuMsPerSession: number;
  /** The load generator's CPU per session, ms: its ssh2 client does a handshake's work too. */
  clientCpuMsPerSession: number;
  /** One session alone, ms: latency that is not queueing behind the others. */
  alone: number;
}
export type SshRun = Record<'floor' | 'gatehouse', SshStats>;

export async function sshSessions(ctx: BenchContext, run: number): Promise<SshRun> {
  const out = {} as SshRun;
  for (const t of ['floor', 'gatehouse'] as const) {
    const [port, pid] = t === 'floor' ? [ctx.sshFloorPort, ctx.pids.sshFloor] : [ctx.gatehouse.sshPort, ctx.pids.gatehouse];
    const job = { port, privateKey: ctx.privateKey, command: 'whoami' };
    // The HTTP phases' warm-up sends no SSH: a server's first 100 sessions cost it up to twice the
    // CPU of later ones (the JIT compiling its SSH path), so run 1 gets one storm unmeasured first (issue 18).
    if (run === 1) await ctx.load.run('sshStorm', { ...job, sessions: SSH_SESSIONS });
    const alone = await ctx.load.run('sshStorm', { ...job, sessions: 1 });
    const [server0, client0] = [cpuMs(pid), cpuMs(ctx.load.pid)];
    const r = await ctx.load.run('sshStorm', { ...job, sessions: SSH_SESSIONS });
    const s = (out[t] = { ...r, cpuMsPerSession: (cpuMs(pid) - server0) / SSH_SESSIONS, clientCpuMsPerSession: (cpuMs(ctx.load.pid) - client0) / SSH_SESSIONS, alone: alone.p50 });
    ctx.log(`  run ${run} ssh ${t.padEnd(9)} ${SSH_SESSIONS} x whoami  p50 ${r.p50.toFixed(1)} ms  p99 ${r.p99.toFixed(1)} ms  failures ${r.failures}  CPU ${s.cpuMsPerSession.toFixed(2)} ms/session (client ${s.clientCpuMsPerSession.toFixed(2)})  alone ${s.alone.toFixed(1)} ms`);
  }
  return out;
}

/** Metering off is honoured when the "off" server wrote no usage rows during its load. */
export async function meteringOffHonoured(ctx: BenchContext): Promise<{ honoured: boolean; rows: number }> {
  const rows = await usageRequests(ctx.meteringOff, ctx.privateKey);
  return { honoured: rows === 0, rows };
}
