// Responses API turns over one WebSocket from the VM address, one turn at a time (as Codex sends
// them on its session's socket): time from sending `response.create` to the first frame back, and
// to `response.completed`. The socket is opened once, before the first turn, and not timed.
import WebSocket from 'ws';
import { percentile } from '../stats.js';

export interface SocketJob {
  /** ws://HOST:PORT/PATH */
  url: string;
  frame: string;
  count: number;
  warmup: number;
  localAddress: string;
}

export interface SocketResult {
  ttfbP50: number;
  totalP50: number;
  failures: number;
  error?: string;
}

const TURN_MS = 10_000;
const COMPLETED = Buffer.from('{"type":"response.completed"');

function opened(ws: WebSocket): Promise<void> {
  return new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
  });
}

function turn(ws: WebSocket, frame: string): Promise<{ ttfb: number; total: number }> {
  return new Promise((resolve, reject) => {
    let first = 0;
    const started = performance.now();
    const timer = setTimeout(() => done(new Error('deadline: no response.completed')), TURN_MS);
    const onMessage = (data: Buffer) => {
      const now = performance.now();
      first ||= now;
      if (data.subarray(0, COMPLETED.length).equals(COMPLETED)) done(undefined, { ttfb: first - started, total: now - started });
    };
    const onClose = (code: number) => done(new Error(`closed ${code} mid-turn`));
    const done = (err?: Error, value?: { ttfb: number; total: number }) => {
      clearTimeout(timer);
      ws.off('message', onMessage);
      ws.off('close', onClose);
      if (err) reject(err);
      else resolve(value!);
    };
    ws.on('message', onMessage);
    ws.once('close', onClose);
    ws.send(frame);
  });
}

export async function socket(job: SocketJob): Promise<SocketResult> {
  const ws = new WebSocket(job.url, { localAddress: job.localAddress, perMessageDeflate: false });
  ws.on('error', () => {});
  const runs: { ttfb: number; total: number }[] = [];
  let failures = 0;
  let error: string | undefined;
  try {
    await opened(ws);
    for (let i = 0; i < job.warmup + job.count; i++) {
      try {
        const one = await turn(ws, job.frame);
        if (i >= job.warmup) runs.push(one);
      } catch (err) {
        failures++;
        error ??= (err as Error).message;
        if (ws.readyState !== WebSocket.OPEN) break;
      }
    }
  } catch (err) {
    failures++;
    error ??= (err as Error).message;
  } finally {
    ws.terminate();
  }
  return { ttfbP50: percentile(runs.map((r) => r.ttfb), 50), totalP50: percentile(runs.map((r) => r.total), 50), failures, error };
}
