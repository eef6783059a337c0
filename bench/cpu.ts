// CPU time from /proc: per process (to price a request or an SSH session in CPU) and machine-wide
// (to tell how much CPU other processes took during the run: this machine may be shared).
import fs from 'node:fs';

const TICK_MS = 10; // USER_HZ is 100 on Linux (getconf CLK_TCK)

/** User + system CPU time of a process, in ms; NaN when it is gone. */
export function cpuMs(pid: number): number {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * TICK_MS; // utime, stime (fields 14, 15)
  } catch {
    return NaN;
  }
}

/** Busy CPU time of the whole machine (all CPUs, idle and iowait excluded), in ms. */
export function machineBusyMs(): number {
  const [user, nice, system, , , irq, softirq, steal] = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  return (user + nice + system + irq + softirq + steal) * TICK_MS;
}

/**
 * How much of the machine other processes used while the bench ran: busy time of all CPUs minus
 * the bench's own processes, as a share of all CPUs' wall time.
 */
export function foreignLoad(ourPids: () => number[], cpus: number): { stop(): number; ours(pid: number): void } {
  /** CPU of our processes that ended during the run (started after it began), counted as they end. */
  let ended = 0;
  const ours = () => ended + ourPids().reduce((sum, pid) => sum + (cpuMs(pid) || 0), 0);
  const busy0 = machineBusyMs();
  const ours0 = ours();
  const t0 = performance.now();
  return {
    ours(pid: number) {
      ended += cpuMs(pid) || 0;
    },
    stop() {
      const foreign = machineBusyMs() - busy0 - (ours() - ours0);
      return Math.max(0, foreign / ((performance.now() - t0) * cpus));
    },
  };
}
