// Optional (BENCH_PROFILE=1): a third gatehouse under `node --cpu-prof`, loaded at 50 connections,
// then the top self-time functions of its profile.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startBenchGatehouse } from '../gatehouse.js';
import { newestProfile, topSelfTime, type HotFunction } from '../profile.js';
import { benchRequest } from '../requests.js';
import type { BenchContext } from './context.js';

/** Returns the hot functions and the profile file (kept in a temp dir, for Chrome DevTools). */
export async function profileGatehouse(ctx: BenchContext, mockOrigin: string, publicKey: string): Promise<{ hot: HotFunction[]; file: string }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-bench-profile-'));
  const gh = await startBenchGatehouse({ mockOrigin, publicKey, privateKey: ctx.privateKey, nodeFlags: ['--cpu-prof', `--cpu-prof-dir=${path.resolve(dir)}`] });
  try {
    const r = await ctx.load.run('cannon', { origin: `http://127.0.0.1:${gh.gatewayPort}`, request: benchRequest('anthropic', 'json'), connections: 50, seconds: ctx.seconds, warmupSeconds: 1, localAddress: ctx.localAddress });
    ctx.log(`  profiled gatehouse: ${r.rps.toFixed(0)} req/s under --cpu-prof`);
  } finally {
    await gh.stop(); // the profile is written when the process exits
  }
  const file = newestProfile(dir);
  if (!file) throw new Error(`no .cpuprofile in ${dir}`);
  return { hot: topSelfTime(file, 10), file };
}
