// Throughput and latency with autocannon. autocannon cannot bind a source address, and gatehouse
// knows a VM by its source address (127.0.0.2), so net.connect is wrapped in this (load generator)
// process to add localAddress: the requests take the real VM path, with no API key.
import net from 'node:net';
import autocannon from 'autocannon';
import { percentile } from '../stats.js';
import type { BenchRequest } from '../requests.js';

let sourceAddress: string | undefined;
const originalConnect = net.connect;
(net as { connect: unknown }).connect = (...args: unknown[]) => {
  if (sourceAddress && typeof args[0] === 'number') {
    return originalConnect({ port: args[0], host: args[1] as string, localAddress: sourceAddress });
  }
  return (originalConnect as (...a: unknown[]) => net.Socket)(...args);
};

export interface CannonJob {
  origin: string;
  request: BenchRequest;
  connections: number;
  seconds: number;
  warmupSeconds: number;
  localAddress: string;
}

export interface CannonResult {
  rps: number;
  p50: number;
  p99: number;
  requests: number;
  /** Requests answered, warm-up included (to price a request in server CPU). */
  allRequests: number;
  failures: number;
}

function run(job: CannonJob, seconds: number, latencies?: number[]): Promise<CannonResult> {
  return new Promise((resolve, reject) => {
    let ok = 0;
    const instance = autocannon(
      { url: job.origin + job.request.path, connections: job.connections, duration: seconds, method: job.request.method, headers: job.request.headers, body: job.request.body, timeout: 10 },
      (err, result) => {
        if (err) return reject(err);
        const failures = result.errors + result.timeouts + result.non2xx;
        resolve({ rps: ok / result.duration, p50: percentile(latencies ?? [], 50), p99: percentile(latencies ?? [], 99), requests: ok, allRequests: ok, failures });
      },
    );
    instance.on('response', (_client, status, _bytes, ms) => {
      if (status >= 300) return;
      ok++;
      latencies?.push(ms);
    });
  });
}

export async function cannon(job: CannonJob): Promise<CannonResult> {
  sourceAddress = job.localAddress;
  try {
    const warm = job.warmupSeconds > 0 ? (await run(job, job.warmupSeconds)).requests : 0;
    const result = await run(job, job.seconds, []);
    return { ...result, allRequests: result.requests + warm };
  } finally {
    sourceAddress = undefined;
  }
}
