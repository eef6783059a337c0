// The orchestrator's side of the load generator: starts it pinned to the load CPU and runs jobs.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ChildProcess } from 'node:child_process';
import type { JobInput, JobKind, JobOutput } from './load.js';
import { LOAD_CPU, spawnPinned, stopChild } from './procs.js';

export interface LoadGenerator {
  pid: number;
  run<K extends JobKind>(kind: K, job: JobInput<K>): Promise<JobOutput<K>>;
  stop(): Promise<void>;
}

export function startLoadGenerator(): LoadGenerator {
  const file = path.join(path.dirname(fileURLToPath(import.meta.url)), 'load.js');
  const child: ChildProcess = spawnPinned(LOAD_CPU, [process.execPath, file], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  let next = 0;
  child.on('message', (m: { id: number; result?: unknown; error?: string }) => {
    const p = pending.get(m.id);
    pending.delete(m.id);
    if (m.error !== undefined) p?.reject(new Error(`load job failed: ${m.error}`));
    else p?.resolve(m.result);
  });
  child.on('exit', (code) => {
    for (const p of pending.values()) p.reject(new Error(`load generator exited with ${code}`));
    pending.clear();
  });
  return {
    pid: child.pid!,
    run<K extends JobKind>(kind: K, job: JobInput<K>): Promise<JobOutput<K>> {
      const id = next++;
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
        child.send({ id, kind, job });
      });
    },
    async stop() {
      child.disconnect?.();
      await stopChild(child);
    },
  };
}
