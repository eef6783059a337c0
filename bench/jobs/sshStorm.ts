// Many SSH exec sessions at once, each over a fresh connection: how long until each one's
// command has run and its channel closed, and how many failed.
import { percentile } from '../stats.js';
import { sshExec } from '../sshExec.js';

export interface SshJob {
  port: number;
  privateKey: string;
  sessions: number;
  command: string;
}

export interface SshStormResult {
  p50: number;
  p99: number;
  failures: number;
}

export async function sshStorm(job: SshJob): Promise<SshStormResult> {
  const times: number[] = [];
  let failures = 0;
  await Promise.all(
    Array.from({ length: job.sessions }, async () => {
      const started = performance.now();
      try {
        const r = await sshExec(job.port, job.privateKey, job.command, 30_000);
        if (r.code !== 0) throw new Error(r.stderr);
        times.push(performance.now() - started);
      } catch {
        failures++;
      }
    }),
  );
  return { p50: percentile(times, 50), p99: percentile(times, 99), failures };
}
