// The floor: the simplest correct keep-alive pass-through proxy in Node (node:http server →
// undici Pool.request → pipe back). What gatehouse is compared with: same runtime, same HTTP
// stacks, none of the identity, routing, credential or metering work. The request body is read
// whole first, as gatehouse must (it routes by the body's model): handing undici the request
// stream instead measured ~40% fewer requests/s here, and stream.pipeline() to send the answer
// back ~60 µs more CPU per request than a write loop: either would flatter gatehouse.
// Child process entry: `node floor.js UPSTREAM_ORIGIN` prints "floor listening on PORT".
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import { Pool } from 'undici';

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'host']);

function endToEnd(headers: Record<string, string | string[] | undefined>): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) if (value !== undefined && !HOP_BY_HOP.has(name)) out[name] = value;
  return out;
}

function drained(res: http.ServerResponse): Promise<unknown> {
  return new Promise((resolve) => {
    res.once('drain', resolve);
    res.once('close', resolve);
  });
}

export async function startFloor(upstream: string): Promise<http.Server> {
  const pool = new Pool(upstream, { keepAliveTimeout: 30_000, headersTimeout: 0, bodyTimeout: 0 });
  const server = http.createServer({ keepAliveTimeout: 65_000, requestTimeout: 0 }, async (req, res) => {
    const abort = new AbortController();
    res.on('close', () => res.writableFinished || abort.abort());
    try {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk);
      const body = chunks.length ? Buffer.concat(chunks) : undefined;
      const up = await pool.request({ method: req.method as 'POST', path: req.url ?? '/', headers: endToEnd(req.headers), body, signal: abort.signal });
      res.writeHead(up.statusCode, endToEnd(up.headers));
      for await (const chunk of up.body) if (!res.write(chunk)) await drained(res);
      res.end();
    } catch {
      if (!res.headersSent) res.writeHead(502).end();
      else res.destroy();
    }
  });
  await new Promise<void>((resolve) => server.listen({ port: 0, host: '127.0.0.1', backlog: 4096 }, resolve));
  return server;
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const server = await startFloor(process.argv[2]);
  console.log(`floor listening on ${(server.address() as AddressInfo).port}`);
}
