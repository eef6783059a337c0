// The gateway listeners: plain node:http on every GATEHOUSE_GATEWAY_LISTEN address; with a TLS
// certificate, the same ports also speak HTTPS (the first byte of a connection tells them apart).
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Config } from '../config.js';
import { GatehouseError } from '../errors.js';
import { rawError } from './errors.js';
import type { Gateway } from './handler.js';

export interface GatewayServer {
  ports: number[];
  stop(): Promise<void>;
}

const TLS_HANDSHAKE = 0x16;

/**
 * Codex's built-in provider first opens a WebSocket on GET /v1/responses and falls back to HTTP at
 * once only on 426 (anything else costs it retries, then the turn): every upgrade, on any path, is
 * refused so, with a body in OpenAI's shape (the only API here that speaks WebSockets).
 */
function refuseUpgrade(_req: http.IncomingMessage, socket: Duplex): void {
  socket.on('error', () => socket.destroy());
  socket.end(rawError('openai', new GatehouseError('upgrade_required', 'WebSocket is not supported by this gateway; use HTTP streaming')));
}

/** Bytes that are not HTTP: answer as node:http would (only if nothing was written yet), with a request id, then close. */
function refuseMalformed(err: NodeJS.ErrnoException, socket: Duplex): void {
  const s = socket as net.Socket;
  if (err.code === 'ECONNRESET' || !s.writable || s.bytesWritten > 0) return void s.destroy();
  // Before a request is parsed there is no path to choose a shape by: OpenAI's, the most common.
  const answer =
    err.code === 'HPE_HEADER_OVERFLOW'
      ? rawError('openai', new GatehouseError('too_large', 'request headers are too large'), 431)
      : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? rawError('openai', new GatehouseError('invalid_input', 'the request headers did not arrive in time'), 408)
        : rawError('openai', new GatehouseError('invalid_input', 'malformed HTTP request'));
  s.end(answer, () => s.destroy());
}

function refuseNonHttp(server: http.Server | https.Server): void {
  server.on('upgrade', refuseUpgrade);
  server.on('clientError', refuseMalformed);
}

export async function startGateway(config: Readonly<Config>, gateway: Gateway): Promise<GatewayServer> {
  const options: http.ServerOptions = { keepAliveTimeout: 65_000, requestTimeout: 0, headersTimeout: 30_000 };
  const plain = http.createServer(options, gateway.handle);
  refuseNonHttp(plain);
  let secure: https.Server | undefined;
  if (config.tlsCert && config.tlsKey) {
    let cert: Buffer, key: Buffer;
    try {
      cert = fs.readFileSync(config.tlsCert);
      key = fs.readFileSync(config.tlsKey);
    } catch (err) {
      throw new GatehouseError('config', `GATEHOUSE_TLS_CERT/KEY: cannot read ${(err as NodeJS.ErrnoException).path}`);
    }
    secure = https.createServer({ ...options, cert, key }, gateway.handle);
    refuseNonHttp(secure);
  }
  // Without TLS each address gets a plain HTTP server; with TLS a sniffing TCP server hands
  // each connection to the HTTPS or the HTTP server by its first byte.
  const servers: net.Server[] = config.gatewayListen.map(() => {
    if (!secure) {
      const server = http.createServer(options, gateway.handle);
      refuseNonHttp(server);
      return server;
    }
    // noDelay as node:http sets it on its own sockets: Nagle would hold back a stream's small events.
    return net.createServer({ noDelay: true }, (socket) => {
      socket.once('data', (first: Buffer) => {
        socket.pause();
        socket.unshift(first);
        // node:http reads straight from the socket's handle unless told it is taken; the byte we
        // peeked at is back in the JS stream, so the servers must read from there.
        const handle = (socket as unknown as { _handle?: { _consumed?: boolean } })._handle;
        if (handle) handle._consumed = true;
        (first[0] === TLS_HANDSHAKE ? secure! : plain).emit('connection', socket);
        process.nextTick(() => socket.resume());
      });
      socket.on('error', () => socket.destroy());
    });
  });
  const ports: number[] = [];
  for (const [i, server] of servers.entries()) {
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err: NodeJS.ErrnoException) => reject(new GatehouseError('config', `GATEHOUSE_GATEWAY_LISTEN: cannot listen on ${config.gatewayListen[i].host}:${config.gatewayListen[i].port} (${err.code})`)));
      server.listen(config.gatewayListen[i].port, config.gatewayListen[i].host, () => resolve());
    });
    ports.push((server.address() as AddressInfo).port);
  }
  return {
    ports,
    async stop() {
      await Promise.all(
        servers.map(
          (s) =>
            new Promise<void>((resolve) => {
              s.close(() => resolve());
              if (s instanceof http.Server) s.closeAllConnections();
            }),
        ),
      );
      plain.closeAllConnections();
      secure?.closeAllConnections();
      await gateway.close();
    },
  };
}
