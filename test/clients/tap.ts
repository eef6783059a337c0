// A TCP pass-through in front of gatehouse for a real CLI: it connects from the VM's source
// address (a CLI cannot choose one) and notes every HTTP request line and answer status line on
// each connection, the only way to see the WebSocket upgrade a client attempts before its HTTP call.
import net from 'node:net';

export interface TappedRequest {
  line: string;
  upgrade: boolean;
}

export interface TappedConnection {
  requests: TappedRequest[];
  /** Status lines, in order. */
  answers: string[];
}

export interface Tap {
  port: number;
  connections: TappedConnection[];
  /** Every request with its answer's status line (by order on its connection). */
  exchanges(): { line: string; upgrade: boolean; answer?: string }[];
  shown(): string;
  close(): Promise<void>;
}

const REQUEST_LINE = /^[A-Z]+ \S+ HTTP\/1\.1\r?$/gm;
const STATUS_LINE = /^HTTP\/1\.1 \d{3}[^\r\n]*/gm;

export async function tap(port: number, from = '127.0.0.2'): Promise<Tap> {
  const connections: TappedConnection[] = [];
  const open = new Set<net.Socket>();
  const server = net.createServer((client) => {
    open.add(client);
    client.on('close', () => open.delete(client));
    const seen: TappedConnection = { requests: [], answers: [] };
    connections.push(seen);
    const upstream = net.connect({ port, host: '127.0.0.1', localAddress: from });
    let upgraded = false; // after a 101 the bytes are WebSocket frames, not HTTP
    client.on('data', (d: Buffer) => {
      if (upgraded) return;
      const text = d.toString('latin1');
      for (const m of text.matchAll(REQUEST_LINE)) {
        const head = text.slice(m.index, text.indexOf('\r\n\r\n', m.index));
        seen.requests.push({ line: m[0].trimEnd(), upgrade: /^upgrade: *websocket/im.test(head) });
      }
    });
    upstream.on('data', (d: Buffer) => {
      if (upgraded) return;
      for (const m of d.toString('latin1').matchAll(STATUS_LINE)) {
        seen.answers.push(m[0]);
        if (m[0].startsWith('HTTP/1.1 101')) upgraded = true;
      }
    });
    client.pipe(upstream).pipe(client);
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const exchanges = () => connections.flatMap((c) => c.requests.map((r, i) => ({ ...r, answer: c.answers[i] })));
  return {
    port: (server.address() as net.AddressInfo).port,
    connections,
    exchanges,
    shown: () => exchanges().map((x) => `${x.line}${x.upgrade ? ' [upgrade]' : ''} -> ${x.answer ?? '(no answer)'}`).join('\n'),
    close: () => new Promise<void>((resolve) => (open.forEach((s) => s.destroy()), server.close(() => resolve()))),
  };
}
