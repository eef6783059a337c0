// The gateway listener. Until the gateway issue lands it answers every request with a clear 404.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ListenAddress } from '../config.js';

export interface GatewayServer {
  ports: number[];
  stop(): Promise<void>;
}

export async function startGateway(listen: ListenAddress[]): Promise<GatewayServer> {
  const servers = listen.map(() =>
    http.createServer((req, res) => {
      req.resume();
      const body = JSON.stringify({ error: { type: 'not_found', message: 'the gatehouse gateway is not available in this version yet' } });
      res.writeHead(404, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    }),
  );
  const ports: number[] = [];
  for (const [i, server] of servers.entries()) {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(listen[i].port, listen[i].host, () => resolve());
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
              s.closeAllConnections();
            }),
        ),
      );
    },
  };
}
