// The bench's upstream: a fast node:http server answering all four providers with fixed bodies.
// Child process entry: prints "mock listening on PORT". /v1/responses (OpenAI's Responses API) is
// answered as a stream, over HTTP and over its WebSocket (mockSocket.ts). The `bench` query
// parameter picks the answer:
//   json   one JSON body (the default)
//   sse    SSE_EVENTS events: the first at once, the rest together one tick later (so time to
//          first byte and total time differ, as with a real provider)
//   paced  SSE_EVENTS events, PACE_MS apart
//   hold   HOLD_EVENTS events, one a second (the first at once): a long, quiet stream
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import { responseEvents, responseJson, type BenchProvider } from './bodies.js';
import { serveResponsesSocket } from './mockSocket.js';
import { responsesSse } from './responses.js';

export const SSE_EVENTS = 200;
export const PACE_MS = 2;
export const HOLD_EVENTS = 11;
const HOLD_EVERY_MS = 1000;

function providerOf(path: string): BenchProvider | undefined {
  if (path.includes('/v1/messages')) return 'anthropic';
  if (path.includes('/inference/v1/chat/completions')) return 'fireworks';
  if (path.includes('/chat/completions')) return 'openai';
  if (/:(stream)?generateContent/i.test(path)) return 'gemini';
  return undefined;
}

const JSON_HEADERS = (length: number) => ({ 'content-type': 'application/json', 'content-length': length, 'request-id': 'req_bench_0001' });
const SSE_HEADERS = { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', 'request-id': 'req_bench_0001' };

/** Writes events[i] at start + i*everyMs (corrected for timer drift); stops when the client leaves. */
function paced(res: http.ServerResponse, events: Buffer[], everyMs: number): void {
  const start = performance.now();
  let i = 0;
  let timer: NodeJS.Timeout | undefined;
  const next = () => {
    res.write(events[i++]);
    if (i === events.length) return void res.end();
    timer = setTimeout(next, Math.max(1, Math.round(start + i * everyMs - performance.now())));
  };
  res.on('close', () => clearTimeout(timer));
  next();
}

function answer(req: http.IncomingMessage, res: http.ServerResponse): void {
  const url = req.url ?? '/';
  if (url.includes('/v1/responses')) return void streamed(res, responsesSse(SSE_EVENTS), /[?&]bench=(\w+)/.exec(url)?.[1] ?? 'sse');
  const provider = providerOf(url);
  if (!provider) {
    res.writeHead(404, { 'content-type': 'application/json' });
    return void res.end('{"error":"no such bench route"}');
  }
  const mode = /[?&]bench=(\w+)/.exec(url)?.[1] ?? (url.includes('streamGenerateContent') ? 'sse' : 'json');
  if (mode === 'json') {
    const body = responseJson(provider);
    res.writeHead(200, JSON_HEADERS(body.length));
    return void res.end(body);
  }
  if (mode === 'hold') return void (res.writeHead(200, SSE_HEADERS), paced(res, responseEvents(provider, HOLD_EVENTS), HOLD_EVERY_MS));
  streamed(res, responseEvents(provider, SSE_EVENTS), mode);
}

/** "paced": PACE_MS apart; otherwise the first event at once and the rest one tick later. */
function streamed(res: http.ServerResponse, events: Buffer[], mode: string): void {
  res.writeHead(200, SSE_HEADERS);
  if (mode === 'paced') return paced(res, events, PACE_MS);
  res.write(events[0]);
  setImmediate(() => {
    for (let i = 1; i < events.length; i++) res.write(events[i]);
    res.end();
  });
}

export async function startMock(port = 0): Promise<http.Server> {
  const server = http.createServer({ keepAliveTimeout: 65_000, requestTimeout: 0 }, (req, res) => {
    // Answer once the request body is in, as a real provider would.
    req.on('end', () => answer(req, res));
    req.resume();
  });
  serveResponsesSocket(server, SSE_EVENTS);
  await new Promise<void>((resolve) => server.listen({ port, host: '127.0.0.1', backlog: 4096 }, resolve));
  return server;
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const server = await startMock();
  console.log(`mock listening on ${(server.address() as AddressInfo).port}`);
}
