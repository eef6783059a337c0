// One SSE response at a time over one keep-alive connection from the VM address: time to first
// body byte, total time, and the gaps between chunks as the client sees them.
import { Client } from 'undici';
import { median, percentile } from '../stats.js';
import type { BenchRequest } from '../requests.js';

export interface StreamJob {
  origin: string;
  request: BenchRequest;
  count: number;
  warmup: number;
  localAddress: string;
}

export interface StreamResult {
  ttfbP50: number;
  totalP50: number;
  /** p50 of the gaps between consecutive body chunks, over all responses. */
  gapP50: number;
  /** Median number of body chunks a response arrived in. */
  chunks: number;
  failures: number;
  /** The first failure's message. */
  error?: string;
}

interface One {
  ttfb: number;
  total: number;
  arrivals: number[];
}

async function once(client: Client, r: BenchRequest): Promise<One> {
  const started = performance.now();
  const res = await client.request({ path: r.path, method: r.method, headers: r.headers, body: r.body });
  if (res.statusCode !== 200) throw new Error(`status ${res.statusCode}: ${(await res.body.text()).slice(0, 300)}`);
  const arrivals: number[] = [];
  for await (const _chunk of res.body) arrivals.push(performance.now());
  if (arrivals.length === 0) throw new Error('empty body');
  return { ttfb: arrivals[0] - started, total: arrivals[arrivals.length - 1] - started, arrivals };
}

export async function stream(job: StreamJob): Promise<StreamResult> {
  const client = new Client(job.origin, { localAddress: job.localAddress, keepAliveTimeout: 30_000 });
  const runs: One[] = [];
  let failures = 0;
  let error: string | undefined;
  try {
    for (let i = 0; i < job.warmup + job.count; i++) {
      try {
        const one = await once(client, job.request);
        if (i >= job.warmup) runs.push(one);
      } catch (err) {
        failures++;
        error ??= (err as Error).message;
      }
    }
  } finally {
    await client.close();
  }
  const gaps = runs.flatMap((r) => r.arrivals.slice(1).map((t, i) => t - r.arrivals[i]));
  return {
    ttfbP50: percentile(runs.map((r) => r.ttfb), 50),
    totalP50: percentile(runs.map((r) => r.total), 50),
    gapP50: percentile(gaps, 50),
    chunks: median(runs.map((r) => r.arrivals.length)),
    failures,
    error,
  };
}
