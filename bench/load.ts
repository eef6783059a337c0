// The load generator: a child process pinned to its own CPU, running one job at a time for the
// orchestrator over the IPC channel ({id, kind, job} in, {id, result} or {id, error} out).
import { cannon } from './jobs/cannon.js';
import { hold } from './jobs/hold.js';
import { socket } from './jobs/socket.js';
import { sshStorm } from './jobs/sshStorm.js';
import { stream } from './jobs/stream.js';

const jobs = { cannon, stream, hold, sshStorm, socket } as const;
export type JobKind = keyof typeof jobs;
export type JobInput<K extends JobKind> = Parameters<(typeof jobs)[K]>[0];
export type JobOutput<K extends JobKind> = Awaited<ReturnType<(typeof jobs)[K]>>;

interface Message {
  id: number;
  kind: JobKind;
  job: never;
}

if (process.send) {
  process.on('message', async (m: Message) => {
    try {
      const result = await jobs[m.kind](m.job);
      process.send!({ id: m.id, result });
    } catch (err) {
      process.send!({ id: m.id, error: (err as Error).stack ?? String(err) });
    }
  });
  process.on('disconnect', () => process.exit(0));
}
