// The admin listener: /metrics for Prometheus, /healthz and /readyz for supervisors and load
// balancers. Its own node:http server on its own address (config refuses one VMs can reach), never
// the gateway's connections. It logs no headers: a scraper may send credentials.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ListenAddress } from '../config.js';
import { GatehouseError } from '../errors.js';
import type { Log } from '../log.js';
import type { Metrics } from './metrics.js';
import type { Readiness } from './readiness.js';

export interface AdminServer {
  port: number;
  close(): Promise<void>;
}

export interface AdminDeps {
  metrics: Metrics;
  readiness: Readiness;
  log: Log;
}

const TIMEOUT_MS = 10_000;
const MAX_CONNECTIONS = 64;

function send(res: http.ServerResponse, status: number, type: string, body: string, head: boolean): void {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store' });
  res.end(head ? undefined : body);
}

const json = (res: http.ServerResponse, status: number, value: unknown, head: boolean) => send(res, status, 'application/json', `${JSON.stringify(value)}\n`, head);

async function route(req: http.IncomingMessage, res: http.ServerResponse, deps: AdminDeps): Promise<void> {
  const path = (req.url ?? '/').split('?')[0];
  const known = path === '/metrics' || path === '/healthz' || path === '/readyz';
  if (!known) return json(res, 404, { error: 'no route' }, req.method === 'HEAD');
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('allow', 'GET, HEAD');
    return json(res, 405, { error: 'method not allowed' }, false);
  }
  const head = req.method === 'HEAD';
  if (path === '/healthz') return json(res, 200, { status: 'ok' }, head); // the process answers: nothing else checked
  if (path === '/readyz') {
    const report = await deps.readiness.report();
    return json(res, report.ready ? 200 : 503, report.body, head);
  }
  send(res, 200, deps.metrics.contentType, await deps.metrics.render(), head);
}

export async function startAdminServer(listen: ListenAddress, deps: AdminDeps): Promise<AdminServer> {
  const server = http.createServer({ headersTimeout: TIMEOUT_MS, requestTimeout: TIMEOUT_MS }, (req, res) => {
    req.resume(); // a body is never read: drain it so the connection can be reused
    route(req, res, deps).catch((err) => {
      deps.log.error('admin listener: answering failed', err, { path: (req.url ?? '').split('?')[0].slice(0, 64) });
      if (!res.headersSent) json(res, 500, { error: 'internal' }, false);
      else res.destroy();
    });
  });
  server.maxConnections = MAX_CONNECTIONS;
  await new Promise<void>((resolve, reject) => {
    const failed = (err: NodeJS.ErrnoException) => reject(new GatehouseError('config', `GATEHOUSE_ADMIN_LISTEN: cannot listen on ${listen.host}:${listen.port} (${err.code ?? err.message})`, { hint: 'another process (another gatehouse?) holds that port: set GATEHOUSE_ADMIN_LISTEN to another, or off', cause: err }));
    server.once('error', failed);
    server.listen(listen.port, listen.host, () => {
      server.off('error', failed);
      resolve();
    });
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections(); // idle keep-alive scrapers must not hold the stop
      }),
  };
}
