// Child processes of the bench: each server pinned to CPU 0 and the load generator to CPU 1
// (taskset) so that CPU and RSS are each process's own; readiness read from stdout lines.
import { spawn, spawnSync, type ChildProcess, type SpawnOptions } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';

export const SERVER_CPU = '0';
export const LOAD_CPU = '1';

/** Pinning needs taskset and two CPUs; without them the bench still runs, unpinned. */
export const canPin = os.availableParallelism() >= 2 && spawnSync('taskset', ['-V']).status === 0;

/** Moves this process (all its threads) to a CPU: the orchestrator sits with the load generator. */
export function pinSelf(cpu: string): void {
  if (canPin) spawnSync('taskset', ['-a', '-p', '-c', cpu, String(process.pid)], { stdio: 'ignore' });
}

const TAIL = 16 * 1024;
const tails = new WeakMap<ChildProcess, { out: string; err: string }>();

/** The last output of a child (kept bounded, and always drained so a chatty child never blocks). */
export function outputOf(child: ChildProcess): { out: string; err: string } {
  return tails.get(child) ?? { out: '', err: '' };
}

/** What the held streams want per process: the gatehouse and the floor pay 2 descriptors a stream (client and upstream). */
const WANTED_NOFILE = 65_536;

function hardNofile(): number {
  const out = spawnSync('sh', ['-c', 'ulimit -Hn'], { encoding: 'utf8' }).stdout.trim();
  return out === 'unlimited' ? WANTED_NOFILE : Number(out) || 1024;
}

/**
 * The descriptor limit every child starts with, as operators must raise it (README, Limits): raised
 * to WANTED_NOFILE where allowed (root with CAP_SYS_RESOURCE), else to the hard limit, which any
 * process may take. The held streams are sized by it (phases/hold.ts).
 */
export const nofile: number = spawnSync('prlimit', [`--nofile=${WANTED_NOFILE}:${WANTED_NOFILE}`, '--', 'true']).status === 0 ? WANTED_NOFILE : Math.min(WANTED_NOFILE, hardNofile());

/** `sh -c 'ulimit -n'` rather than prlimit: util-linux is not everywhere, a POSIX shell is. */
const withNofile = (args: string[]) => ['sh', '-c', `ulimit -n ${nofile} && exec "$@"`, 'sh', ...args];

export function spawnPinned(cpu: string, args: string[], options: SpawnOptions = {}): ChildProcess {
  const limited = withNofile(args);
  const [cmd, rest] = canPin ? ['taskset', ['-c', cpu, ...limited]] : [limited[0], limited.slice(1)];
  const child = spawn(cmd, rest, { stdio: ['ignore', 'pipe', 'pipe'], ...options });
  const tail = { out: '', err: '' };
  tails.set(child, tail);
  child.stdout?.on('data', (d: Buffer) => (tail.out = (tail.out + d.toString()).slice(-TAIL)));
  child.stderr?.on('data', (d: Buffer) => (tail.err = (tail.err + d.toString()).slice(-TAIL)));
  return child;
}

/** Resolves with the first match of each pattern in the child's stdout; rejects if it exits first. */
export function waitForLines(child: ChildProcess, patterns: RegExp[], deadlineMs = 20_000): Promise<RegExpMatchArray[]> {
  return new Promise((resolve, reject) => {
    const found: (RegExpMatchArray | undefined)[] = patterns.map(() => undefined);
    let out = '';
    const onExit = (code: number | null) => fail(new Error(`exited with ${code} before it was ready`));
    const timer = setTimeout(() => fail(new Error(`no readiness line within ${deadlineMs} ms`)), deadlineMs);
    const done = () => {
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.off('exit', onExit);
    };
    const fail = (e: Error) => {
      done();
      reject(new Error(`${e.message}\nstdout: ${outputOf(child).out}\nstderr: ${outputOf(child).err}`));
    };
    const onData = (d: Buffer) => {
      out += d.toString();
      patterns.forEach((p, i) => (found[i] ??= out.match(p) ?? undefined));
      if (!found.every(Boolean)) return;
      done();
      resolve(found as RegExpMatchArray[]);
    };
    child.stdout?.on('data', onData);
    child.once('exit', onExit);
  });
}

/** Stops a child with SIGTERM (SIGKILL after a deadline) and waits for it to exit. */
export function stopChild(child: ChildProcess, deadlineMs = 10_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), deadlineMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** Resident memory of a process from /proc: current (VmRSS) and peak (VmHWM), in MB. */
export function memoryOf(pid: number): { rssMb: number; hwmMb: number } {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? NaN);
    return { rssMb: kb('VmRSS') / 1024, hwmMb: kb('VmHWM') / 1024 };
  } catch {
    return { rssMb: NaN, hwmMb: NaN };
  }
}

/** Samples VmRSS every `everyMs` until stopped; returns the largest sample. */
export function sampleRss(pid: number, everyMs = 100): { stop(): number } {
  let peak = 0;
  const take = () => (peak = Math.max(peak, memoryOf(pid).rssMb || 0));
  take();
  const timer = setInterval(take, everyMs);
  return {
    stop() {
      clearInterval(timer);
      take();
      return peak;
    },
  };
}
