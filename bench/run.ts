// `npm run bench`: gatehouse against the simplest correct Node proxy (the floor) and the bare
// mock upstream, on one machine, in one run. Servers on CPU 0, load generator and this
// orchestrator on CPU 1. Prints a table and writes bench/results/latest.json.
// Settings: BENCH_RUNS (3), BENCH_SECONDS (4, per throughput run), BENCH_PROFILE=1 (CPU profile),
// BENCH_PHASES (a comma list of PHASES: only those run; the others' targets read "not run").
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { generateEd25519 } from '../src/ssh/hostKeys.js';
import { startBenchGatehouse, VM_ADDRESS } from './gatehouse.js';
import { startLoadGenerator } from './loadClient.js';
import type { BenchContext } from './phases/context.js';
import { meteringOffHonoured, sanity, sshSessions } from './phases/checks.js';
import { heldStreams as heldCount, holdStreams } from './phases/hold.js';
import { latency, streaming, throughput, warmUp } from './phases/http.js';
import { profileGatehouse } from './phases/profile.js';
import { responsesTurns } from './phases/websocket.js';
import { metricsMicro } from './phases/metrics.js';
import { printReport } from './print.js';
import { foreignLoad } from './cpu.js';
import { canPin, LOAD_CPU, memoryOf, outputOf, nofile, pinSelf, stopChild } from './procs.js';
import type { HotFunction } from './profile.js';
import { startFloorProcess, startServers } from './servers.js';
import { PHASES, summarize, type Phase, type Runs } from './summary.js';

const RESULTS = path.resolve('bench/results');
const runs = Number(process.env.BENCH_RUNS ?? 3);
const seconds = Number(process.env.BENCH_SECONDS ?? 4);
const log = (line: string) => console.log(line);
const phases = new Set(process.env.BENCH_PHASES ? process.env.BENCH_PHASES.split(',').map((p) => p.trim()) : PHASES);
for (const p of phases) if (!PHASES.includes(p as Phase)) throw new Error(`BENCH_PHASES: unknown phase "${p}" (known: ${PHASES.join(', ')})`);
const selected = (p: Phase) => phases.has(p);

async function main(): Promise<void> {
  const began = Date.now();
  pinSelf(LOAD_CPU);
  const key = generateEd25519('bench'); // redrawn when ssh2's generator makes an unparseable one (mscdex/ssh2#1390)
  const servers = await startServers(key);
  const load = startLoadGenerator();
  const ctx: BenchContext = {
    load,
    origins: { direct: servers.mock.origin, floor: servers.floor.origin, gatehouse: `http://127.0.0.1:${servers.gatehouse.gatewayPort}`, meteringOff: `http://127.0.0.1:${servers.meteringOff.gatewayPort}`, postgres: servers.postgres && `http://127.0.0.1:${servers.postgres.gatewayPort}` },
    pids: { direct: servers.mock.child.pid!, floor: servers.floor.child.pid!, gatehouse: servers.gatehouse.pid, meteringOff: servers.meteringOff.pid, sshFloor: servers.sshFloor.child.pid!, postgres: servers.postgres?.pid },
    sshFloorPort: servers.sshFloor.port,
    gatehouse: servers.gatehouse,
    meteringOff: servers.meteringOff,
    privateKey: key.private,
    runs,
    seconds,
    localAddress: VM_ADDRESS,
    log,
  };
  let profile: { hot: HotFunction[]; file: string } | undefined;
  const cpus = os.cpus().length;
  const noise = foreignLoad(() => [process.pid, load.pid, ...Object.values(ctx.pids)], cpus);
  try {
    log('sanity: every provider route through gatehouse');
    const checked = await sanity(ctx);
    if (checked.failures) throw new Error('gatehouse failed a provider route; see above');
    const r: Runs = { throughput: [], latency: [], streaming: [], websocket: [], hold: { floor: [], gatehouse: [], gatehouseHwmMb: 0, nofile }, ssh: [], meteringOff: { honoured: false, rows: 0 }, metrics: [] };
    if (selected('metrics')) for (let i = 0; i < runs; i++) r.metrics.push(await metricsMicro());
    if (selected('hold')) await heldStreams(ctx, r, servers.mock.origin, key, noise.ours);
    log(`warm-up, then ${[...phases].filter((p) => p !== 'hold' && p !== 'metrics').join(', ')}`);
    await warmUp(ctx);
    for (let i = 1; i <= runs; i++) {
      if (selected('throughput')) r.throughput.push(await throughput(ctx, i));
      if (selected('latency')) r.latency.push(await latency(ctx, i));
      if (selected('streaming')) r.streaming.push(await streaming(ctx, i));
      if (selected('websocket')) r.websocket.push(await responsesTurns(ctx, i));
      if (selected('ssh')) r.ssh.push(await sshSessions(ctx, i));
    }
    if (selected('throughput')) r.meteringOff = await meteringOffHonoured(ctx);
    const foreign = noise.stop();
    if (process.env.BENCH_PROFILE === '1') {
      log('CPU profile of gatehouse under load');
      profile = await profileGatehouse(ctx, servers.mock.origin, key.public);
    }
    const summary = summarize(r, phases);
    const header = [
      `gatehouse bench ${new Date().toISOString()}  node ${process.version}  ${cpus} CPUs (${os.cpus()[0]?.model ?? '?'})`,
      `other processes used ${(foreign * 100).toFixed(1)}% of the machine's CPU during the run${foreign > 0.05 ? ' -- WARNING: the machine was busy, numbers are noisy' : ''}`,
      canPin ? `servers pinned to CPU 0, load generator to CPU 1 (taskset); ${runs} runs, medians` : `NOT pinned (no taskset or one CPU); ${runs} runs, medians`,
      `load: autocannon (net.connect wrapped to bind ${VM_ADDRESS}, the VM path) and undici clients from ${VM_ADDRESS}; POST /gateway/llm/anthropic/v1/messages, claude-sonnet-5-5`,
    ];
    console.log('\n' + printReport(summary, header));
    if (profile) {
      console.log(`\ngatehouse CPU profile under 50 connections, top self time (${profile.file}):`);
      for (const h of profile.hot) console.log(`  ${h.percent.toFixed(1).padStart(5)}%  ${String(h.selfMs).padStart(6)} ms  ${h.name}  ${h.where}`);
    }
    fs.mkdirSync(RESULTS, { recursive: true });
    const json = { date: new Date().toISOString(), node: process.version, cpus, pinned: canPin, foreignCpuShare: foreign, runs, seconds, phases: [...phases], sanity: checked, summary, raw: r, profile };
    fs.writeFileSync(path.join(RESULTS, 'latest.json'), JSON.stringify(json, null, 2) + '\n');
    // Errors are JSON lines on stdout (issue 16), or text on stderr from before the log starts.
    const { out, err } = outputOf(servers.gatehouse.child);
    const errors = [...err.split('\n').filter((l) => l.includes('ERROR')), ...out.split('\n').filter((l) => l.includes('"level":"error"'))];
    if (errors.length) console.log(`\ngatehouse logged errors during the run (last ${errors.length} shown in its stderr tail):\n  ${errors.slice(-3).join('\n  ')}`);
    console.log(`\nwrote bench/results/latest.json in ${((Date.now() - began) / 1000).toFixed(0)} s`);
  } finally {
    await load.stop();
    await servers.stop();
  }
}

/**
 * The held streams go to a floor and a gatehouse of their own: the gatehouse's VmHWM reflects them
 * alone, the gatehouse measured after has the same history as the one with metering off, and the
 * floor's ~10,000 idle upstream connections (kept alive for a minute) do not sit on the mock's
 * descriptors while gatehouse opens as many. Both warmed first, as every server measured later: a
 * cold JIT is not what is measured here.
 */
async function heldStreams(ctx: BenchContext, r: Runs, mockOrigin: string, key: { public: string; private: string }, ours: (pid: number) => void): Promise<void> {
  log(`${heldCount.toLocaleString('en-US')} held SSE streams (descriptor limit ${nofile})`);
  const floor = await startFloorProcess(mockOrigin);
  try {
    await warmUp(ctx, [floor.origin]);
    r.hold.floor.push(await holdStreams(ctx, 'floor', { origin: floor.origin, pid: floor.child.pid! }, 1));
  } finally {
    ours(floor.child.pid!); // the bench's own CPU, not another process's
    await stopChild(floor.child);
  }
  const holder = await startBenchGatehouse({ mockOrigin, publicKey: key.public, privateKey: key.private });
  try {
    const server = { origin: `http://127.0.0.1:${holder.gatewayPort}`, pid: holder.pid };
    await warmUp(ctx, [server.origin]);
    for (let i = 1; i <= runs; i++) r.hold.gatehouse.push(await holdStreams(ctx, 'gatehouse', server, i));
    r.hold.gatehouseHwmMb = memoryOf(holder.pid).hwmMb;
  } finally {
    ours(holder.pid);
    await holder.stop();
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(`bench: ${err instanceof Error ? err.stack : String(err)}`);
    process.exit(1);
  },
);
