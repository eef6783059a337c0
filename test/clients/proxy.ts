// The network a VM sees, for a real CLI run here: a forward HTTP proxy (the CLI's HTTP_PROXY)
// that plays DNS for `NAME.int.DOMAIN` and 169.254.169.254, sending every request to the
// gatehouse under test from the VM's source address with the Host the client asked for. A CLI
// cannot be given a Host header or a source address; this is the one seam, and it records
// what was asked and answered so tests can assert on the wire.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Exchange {
  method: string;
  host: string;
  /** Path and query, as gatehouse received them. */
  path: string;
  status?: number;
}

export interface VmNetwork {
  /** http://127.0.0.1:PORT, for HTTP_PROXY. */
  url: string;
  exchanges: Exchange[];
  close(): Promise<void>;
}

export async function vmNetwork(gatewayPort: number, from = '127.0.0.2'): Promise<VmNetwork> {
  const exchanges: Exchange[] = [];
  const server = http.createServer((req, res) => {
    let target: URL;
    try {
      target = new URL(req.url ?? '');
    } catch {
      return void res.writeHead(400).end('absolute-form request target expected (this is a proxy)');
    }
    const seen: Exchange = { method: req.method ?? '', host: target.host, path: target.pathname + target.search };
    exchanges.push(seen);
    const headers: http.OutgoingHttpHeaders = { ...req.headers, host: target.host };
    delete headers['proxy-connection'];
    delete headers['proxy-authorization'];
    const forward = http.request({ host: '127.0.0.1', port: gatewayPort, localAddress: from, method: req.method, path: seen.path, headers, agent: false }, (answer) => {
      seen.status = answer.statusCode;
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    forward.on('error', () => res.destroy());
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    exchanges,
    close: () => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))),
  };
}
