// The gateway listeners: a TCP acceptor on every GATEHOUSE_GATEWAY_LISTEN address hands each
// connection to node:http; with a TLS certificate, the same ports also speak HTTPS (the first byte
// of a connection tells them apart). Slow clients are bounded here: headers, body progress, and
// connections per source address; stop() drains before it cuts.
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Config } from '../config.js';
import { GatehouseError } from '../errors.js';
import { rawError } from './errors.js';
import type { BodyBounds } from './body.js';
import type { Gateway } from './handler.js';
import { Connections } from './sockets.js';
import type { DrainableUpgrade } from './socketDrain.js';
import { within } from '../core/within.js';

export interface GatewayServer {
  ports: number[];
  /** Requests being answered now, streams and relayed WebSockets included. */
  readonly inFlight: number;
  /** Upstream streams (SSE) being relayed now; read at scrape time (metrics). */
  readonly streams: number;
  /** Responses WebSockets being relayed now. */
  readonly sockets: number;
  /**
   * Stops accepting at once; requests in flight get up to `drainMs` to finish (their connections
   * close as they do), relayed WebSockets are closed (1001) between turns, then gateway.close() ends
   * what remains and, a moment later, anything still open is cut.
   */
  stop(drainMs?: number): Promise<void>;
  /** Cuts every connection now; resolves once the cut requests are done (bounded). */
  cut(): Promise<void>;
}

/** Idle keep-alive connections: above the 60 s idle timeout of common clients and load balancers, so we are not the side that closes a connection being reused. */
const KEEPALIVE_MS = 65_000;
/** After the drain, how long gateway.close() has to end the remaining streams before they are cut. */
const END_GRACE_MS = 1_000;
const CLOSE_MS = 3_000;
/** After a cut, how long the cut requests get to record their usage (ticks, in practice). */
const CUT_MS = 500;

const TLS_HANDSHAKE = 0x16;
/**
 * Connections the kernel queues before they are accepted (capped by net.core.somaxconn, 4096 on
 * current kernels). node's default of 511 overflows when thousands of VMs reconnect at once (a
 * restart, a network blip): the overflow is dropped and retried after 1 s, 3 s … by the clients.
 */
const LISTEN_BACKLOG = 4096;

type UpgradeListener = (req: http.IncomingMessage, socket: Duplex, head: Buffer) => void;

/** Bytes that are not HTTP: answer as node:http would (only if nothing was written yet), with a request id, then close. */
function refuseMalformed(err: NodeJS.ErrnoException, socket: Duplex): void {
  const s = socket as net.Socket;
  if (err.code === 'ECONNRESET' || !s.writable || s.bytesWritten > 0) return void s.destroy();
  // Before a request is parsed there is no path to choose a shape by: OpenAI's, the most common.
  const answer =
    err.code === 'HPE_HEADER_OVERFLOW'
      ? rawError('openai', new GatehouseError('headers_too_large', 'request headers are too large'))
      : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? rawError('openai', new GatehouseError('request_timeout', 'the request headers did not arrive in time'))
        : rawError('openai', new GatehouseError('invalid_input', 'malformed HTTP request'));
  s.end(answer, () => s.destroy());
}

/** Upgrades go to the gateway (the Responses WebSocket relay, which answers 426 wherever it cannot serve); bytes that are not HTTP are refused. */
function beyondHttp(server: http.Server | https.Server, upgrade: UpgradeListener): void {
  server.on('upgrade', upgrade);
  server.on('clientError', refuseMalformed);
}

export async function startGateway(config: Readonly<Config>, gateway: Gateway): Promise<GatewayServer> {
  const connections = new Connections(config.gatewayMaxConnectionsPerAddress);
  const handle = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    connections.track(res);
    gateway.handle(req, res);
  };
  // The relay registers what it joins with the listener's drain (socketDrain.ts).
  const upgrade: UpgradeListener = (req, socket, head) => {
    (req as DrainableUpgrade).relayed = connections.relayed;
    gateway.upgrade(req, socket, head);
  };
  const { plain, secure } = protocolServers(config, handle, upgrade);
  const protocols = secure ? [plain, secure] : [plain];
  for (const server of protocols) connections.serveWith(server);
  // noDelay as node:http sets it on its own sockets: Nagle would hold back a stream's small events.
  const acceptors = config.gatewayListen.map(() =>
    net.createServer({ noDelay: true }, (socket) => {
      if (!connections.admit(socket)) return;
      if (!secure) return void handOver(plain, socket, connections);
      sniff(socket, config.gatewayHeadersTimeoutMs, (tls) => handOver(tls ? secure : plain, socket, connections));
    }),
  );
  const ports = await listenAll(acceptors, config);
  const cut = async () => {
    connections.cut();
    await connections.settled(CUT_MS);
    // The cut requests finish (and are metered) in the callbacks that follow their close events.
    await new Promise((resolve) => setImmediate(resolve));
  };
  return {
    ports,
    get inFlight() {
      return connections.inFlight;
    },
    get streams() {
      return gateway.openStreams;
    },
    get sockets() {
      return connections.relayed.size;
    },
    cut,
    async stop(drainMs = 0) {
      // Closed listeners refuse new connections at once; the promise waits for the open ones.
      const closed = Promise.all(acceptors.map((s) => new Promise((resolve) => s.close(resolve))));
      connections.drain();
      await connections.settled(drainMs);
      connections.relayed.endAll();
      const ending = gateway.close();
      // A relayed socket's closing handshake is one round trip: waited for even without a drain,
      // so its client reads 1001 (reconnect elsewhere) rather than a cut connection (1006).
      await (drainMs > 0 ? connections.settled(END_GRACE_MS) : connections.relayed.settled(END_GRACE_MS));
      await cut();
      await within(ending, CLOSE_MS);
      await within(closed, CLOSE_MS);
      for (const server of protocols) server.close(); // stops their header-timeout checkers
    },
  };
}

/** The HTTP server, and the HTTPS one when there is a certificate; they never listen themselves. */
function protocolServers(config: Readonly<Config>, handle: http.RequestListener, upgrade: UpgradeListener): { plain: http.Server; secure?: https.Server } {
  const headersMs = config.gatewayHeadersTimeoutMs;
  const options: http.ServerOptions = {
    ...boundedMessages(config.gatewayBodyTimeoutMs),
    keepAliveTimeout: KEEPALIVE_MS,
    requestTimeout: 0, // a long upload is fine while it progresses: readBody bounds the silence
    headersTimeout: headersMs,
    // node checks headersTimeout only this often (default 30 s): a trickle would get up to twice its time.
    connectionsCheckingInterval: Math.min(1000, Math.max(50, Math.floor(headersMs / 10))),
  };
  const plain = http.createServer(options, handle);
  let secure: https.Server | undefined;
  if (config.tlsCert && config.tlsKey) {
    let cert: Buffer, key: Buffer;
    try {
      cert = fs.readFileSync(config.tlsCert);
      key = fs.readFileSync(config.tlsKey);
    } catch (err) {
      throw new GatehouseError('config', `GATEHOUSE_TLS_CERT/KEY: cannot read ${(err as NodeJS.ErrnoException).path}`);
    }
    secure = https.createServer({ ...options, cert, key, handshakeTimeout: headersMs }, handle);
    // A handshake that failed or timed out has no channel to answer on: close it before the
    // clientError handler queues an answer that would wait for the handshake forever.
    secure.prependListener('tlsClientError', (_err: Error, conn: Duplex) => conn.destroy());
  }
  for (const server of secure ? [plain, secure] : [plain]) {
    beyondHttp(server, upgrade);
    // `Expect: 100-continue` (curl sends it for large bodies): a body declared over the limit gets
    // its 413 at once instead of a 100 that invites the client to upload it first.
    server.on('checkContinue', (req: http.IncomingMessage, res: http.ServerResponse) => {
      if (!(Number(req.headers['content-length']) > config.maxBodyBytes)) res.writeContinue();
      handle(req, res);
    });
    // node starts the checker that enforces headersTimeout, and the connection list that
    // closeIdleConnections reads, on 'listening': these servers get their sockets from the acceptors.
    server.emit('listening');
  }
  return { plain, secure };
}

/** Request and response classes whose requests carry the body bounds readBody applies (see BodyBounds). */
function boundedMessages(bodyIdleMs: number): Pick<http.ServerOptions, 'IncomingMessage' | 'ServerResponse'> {
  class Request extends http.IncomingMessage implements BodyBounds {
    declare readonly bodyIdleMs: number;
    response: http.ServerResponse | undefined = undefined;
  }
  Object.defineProperty(Request.prototype, 'bodyIdleMs', { value: bodyIdleMs });
  // node passes options (highWaterMark …) its typings do not declare.
  const ServerResponse = http.ServerResponse as unknown as new (req: http.IncomingMessage, options?: object) => http.ServerResponse;
  class Response extends ServerResponse {
    constructor(req: Request, options?: object) {
      super(req, options);
      req.response = this;
    }
  }
  return { IncomingMessage: Request, ServerResponse: Response as unknown as typeof http.ServerResponse };
}

async function listenAll(acceptors: net.Server[], config: Readonly<Config>): Promise<number[]> {
  const ports: number[] = [];
  for (const [i, server] of acceptors.entries()) {
    const { host, port } = config.gatewayListen[i];
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err: NodeJS.ErrnoException) => reject(new GatehouseError('config', `GATEHOUSE_GATEWAY_LISTEN: cannot listen on ${host}:${port} (${err.code})`)));
      server.listen({ port, host, backlog: LISTEN_BACKLOG }, () => resolve());
    });
    ports.push((server.address() as AddressInfo).port);
  }
  return ports;
}

/** node:http takes the connection over: from here its parser, timeouts and idle list apply. */
function handOver(server: http.Server, socket: net.Socket, connections: Connections): void {
  connections.claimed(socket);
  server.emit('connection', socket);
}

/** Waits for the first byte (bounded like headers: a silent connection is no one's), then says whether it opens a TLS handshake. */
function sniff(socket: net.Socket, timeoutMs: number, route: (tls: boolean) => void): void {
  const silent = () => socket.destroy();
  socket.setTimeout(timeoutMs);
  socket.once('timeout', silent);
  socket.on('error', () => socket.destroy());
  socket.once('data', (first: Buffer) => {
    socket.setTimeout(0);
    socket.off('timeout', silent);
    socket.pause();
    socket.unshift(first);
    // node:http reads straight from the socket's handle unless told it is taken; the byte we
    // peeked at is back in the JS stream, so the servers must read from there.
    const handle = (socket as unknown as { _handle?: { _consumed?: boolean } })._handle;
    if (handle) handle._consumed = true;
    route(first[0] === TLS_HANDSHAKE);
    process.nextTick(() => socket.resume());
  });
}
