// WebSocket clients for tests (the `ws` package, as Codex's tungstenite would speak it): open one
// (from a VM's source address when asked), collect frames until a turn ends, wait for events with deadlines.
import WebSocket from 'ws';

const DEADLINE_MS = 5000;

export interface Refusal extends Error {
  status: number;
  body: string;
}

/** Opens a socket and resolves once it is open, or rejects with the refusal's status and body. */
export function openSocket(url: string, options: WebSocket.ClientOptions = {}): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, options);
    const timer = setTimeout(() => reject(new Error(`deadline: ${url} did not open`)), DEADLINE_MS);
    ws.once('open', () => {
      clearTimeout(timer);
      resolve(ws);
    });
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d));
      res.on('end', () => {
        clearTimeout(timer);
        reject(Object.assign(new Error(`upgrade refused: ${res.statusCode} ${body}`), { status: res.statusCode, body }));
      });
    });
    ws.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

/** Collects parsed text frames until one matches `until` (a type, or a predicate). */
export function framesUntil(ws: WebSocket, until: string | ((f: any) => boolean)): Promise<any[]> {
  const done = typeof until === 'string' ? (f: any) => f.type === until : until;
  return new Promise((resolve, reject) => {
    const frames: any[] = [];
    const timer = setTimeout(() => reject(new Error(`deadline: ${frames.length} frames, none ended the turn`)), DEADLINE_MS);
    const onMessage = (data: WebSocket.RawData) => {
      const frame = JSON.parse(data.toString());
      frames.push(frame);
      if (!done(frame)) return;
      clearTimeout(timer);
      ws.off('message', onMessage);
      resolve(frames);
    };
    ws.on('message', onMessage);
  });
}

/** Resolves with the arguments of the next `event` on `emitter`; rejects after the deadline. */
export function next<T extends unknown[]>(emitter: WebSocket, event: string, timeoutMs = DEADLINE_MS): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`deadline: no ${event} within ${timeoutMs} ms`)), timeoutMs);
    emitter.once(event, (...args: unknown[]) => {
      clearTimeout(timer);
      resolve(args as T);
    });
  });
}

/**
 * A TCP pass-through to `port` that answers every WebSocket upgrade 404 itself: an
 * OpenAI-compatible upstream that speaks HTTP only (a bring-your-own base, a proxy).
 */
export async function refusingUpgrades(port: number): Promise<{ port: number; readonly refused: number; close(): Promise<void> }> {
  const net = await import('node:net');
  let refused = 0;
  const server = net.createServer((client) => {
    client.on('error', () => client.destroy());
    client.once('data', (first: Buffer) => {
      if (/^upgrade: *websocket/im.test(first.toString('latin1'))) return void (refused++, client.end('HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\nconnection: close\r\n\r\n'));
      const upstream = net.connect(port, '127.0.0.1');
      upstream.on('error', () => client.destroy());
      client.on('close', () => upstream.destroy());
      upstream.write(first);
      client.pipe(upstream).pipe(client);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as import('node:net').AddressInfo).port,
    get refused() {
      return refused;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
