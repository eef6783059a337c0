// The PostgreSQL the bench's PostgreSQL-backed gatehouse uses: a throwaway cluster (the tests'
// own, test/postgres/cluster.ts), its server processes pinned to the server CPU like every
// server measured, so the database's work is paid where SQLite's is (in the server's CPU).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { postgresBin, startCluster } from '../test/postgres/cluster.js';
import { canPin, SERVER_CPU } from './procs.js';

export interface BenchPostgres {
  url: string;
  stop(): void;
}

/** Undefined when PostgreSQL is not installed: the bench then reports the fleet row as n/a. */
export async function startBenchPostgres(): Promise<BenchPostgres | undefined> {
  const bin = postgresBin();
  if (!bin) return undefined;
  const cluster = await startCluster(bin);
  if (canPin) {
    // Backends fork from the postmaster and inherit its affinity; its helpers are pinned by name.
    const postmaster = fs.readFileSync(path.join(cluster.dir, 'data', 'postmaster.pid'), 'utf8').split('\n')[0];
    const children = execFileSync('pgrep', ['-P', postmaster], { encoding: 'utf8' }).split('\n').filter(Boolean);
    for (const pid of [postmaster, ...children]) execFileSync('taskset', ['-a', '-p', '-c', SERVER_CPU, pid], { stdio: 'ignore' });
  }
  const admin = new pg.Client({ connectionString: cluster.url });
  await admin.connect();
  await admin.query('CREATE DATABASE gatehouse_bench');
  await admin.end();
  const url = new URL(cluster.url);
  url.pathname = '/gatehouse_bench';
  return { url: url.toString(), stop: () => cluster.stop() };
}
