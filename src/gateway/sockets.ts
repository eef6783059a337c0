// Every gateway connection from accept to close: the cap per source address, the requests in
// flight and the relayed WebSockets, and the drain (no keep-alive, idle connections closed, relayed
// sockets closed between turns) that lets a restart cut nothing.
import type http from 'node:http';
import type net from 'node:net';
import { sourceAddress } from '../core/sourceAddress.js';
import { LINGER_MS } from './linger.js';
import { RelayedSockets } from './socketDrain.js';
import { Waiters } from '../core/within.js';

export class Connections {
  private readonly perAddress = new Map<string, number>();
  private readonly sockets = new Set<net.Socket>();
  /** Accepted but not yet handed to node:http (the TLS sniffer waits for a first byte). */
  private readonly unclaimed = new Set<net.Socket>();
  private readonly responses = new Set<http.ServerResponse>();
  private readonly servers: http.Server[] = [];
  private readonly waiting = new Waiters();
  private draining = false;
  /** Upgraded connections, joined to upstream by the WebSocket relay (socketDrain.ts). */
  readonly relayed = new RelayedSockets();

  constructor(private readonly maxPerAddress: number) {}

  /** The node:http servers the connections are handed to (for their idle-connection lists). */
  serveWith(server: http.Server): void {
    this.servers.push(server);
  }

  /**
   * Counts a new connection against its source address. Over the cap it is closed at once: one
   * host (a VM, a NAT'd office) cannot take every descriptor, and others are still served.
   */
  admit(socket: net.Socket): boolean {
    const address = sourceAddress(socket.remoteAddress) ?? '?';
    const open = this.perAddress.get(address) ?? 0;
    if (open >= this.maxPerAddress || this.draining) {
      socket.destroy();
      return false;
    }
    this.perAddress.set(address, open + 1);
    this.sockets.add(socket);
    this.unclaimed.add(socket);
    socket.once('close', () => {
      this.sockets.delete(socket);
      this.unclaimed.delete(socket);
      const left = (this.perAddress.get(address) ?? 1) - 1;
      if (left === 0) this.perAddress.delete(address);
      else this.perAddress.set(address, left);
    });
    return true;
  }

  /** node:http owns the socket from now on (its idle list knows when it is between requests). */
  claimed(socket: net.Socket): void {
    this.unclaimed.delete(socket);
  }

  /** Counts a request until its response is done or its connection gone. */
  track(res: http.ServerResponse): void {
    this.responses.add(res);
    // During a drain every answer says `connection: close`, so no client sends another request here.
    if (this.draining) res.shouldKeepAlive = false;
    res.on('close', this.responseClosed); // one shared listener: nothing allocated per request
  }

  private readonly responseClosed = ((connections: Connections) =>
    function (this: http.ServerResponse) {
      connections.responses.delete(this);
      if (this.writableFinished && !this.req.complete) boundUnreadBody(this.req);
      if (connections.draining) connections.closeIdle();
      if (connections.responses.size === 0) connections.waiting.wakeAll();
    })(this);

  /** Requests being answered and relayed WebSockets open. */
  get inFlight(): number {
    return this.responses.size + this.relayed.size;
  }

  /** Requests in flight finish; connections with none are closed, now and whenever one becomes idle. */
  drain(): void {
    this.draining = true;
    for (const res of this.responses) if (!res.headersSent) res.shouldKeepAlive = false;
    this.closeIdle();
    this.relayed.drain();
  }

  private closeIdle(): void {
    for (const server of this.servers) server.closeIdleConnections();
    for (const socket of this.unclaimed) socket.destroy();
  }

  /** Resolves once no request is in flight and every relayed WebSocket has closed, or after `ms`. */
  async settled(ms: number): Promise<void> {
    const deadline = performance.now() + ms;
    await this.answered(ms);
    await this.relayed.settled(deadline - performance.now());
  }

  private answered(ms: number): Promise<void> {
    if (this.responses.size === 0 || ms <= 0) return Promise.resolve();
    return this.waiting.wait(ms);
  }

  /** Closes every connection now; requests in flight end as if their client had left. */
  cut(): void {
    this.draining = true;
    for (const server of this.servers) server.closeAllConnections();
    for (const socket of this.sockets) socket.destroy();
  }
}

/**
 * A request answered before its body was read (a refusal, a route that takes no body): node:http
 * reads the rest and drops it, but nothing else bounds how long that may trickle in, and the
 * connection holds a place of its address all the while. It gets as long as a refused upload does
 * (LINGER_MS), then is closed.
 */
function boundUnreadBody(req: http.IncomingMessage): void {
  const socket = req.socket;
  const timer = setTimeout(() => socket.destroy(), LINGER_MS);
  const done = () => clearTimeout(timer);
  req.once('end', done);
  socket.once('close', done);
}
