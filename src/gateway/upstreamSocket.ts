// Opens the upstream end of a relayed WebSocket: the client's end-to-end headers (OpenAI-Beta,
// originator, session ids …) without its credentials or handshake headers, plus the integration's
// credential. Any refusal or failure is a 426 for the client: it then asks again over HTTP, where
// the upstream's own answer reaches it. Opened paused: nothing is read before the client is joined.
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import WebSocket from 'ws';
import { GatehouseError } from '../errors.js';
import { clientHeaders, upstreamHeaders } from './headers.js';

export interface UpstreamSocketOptions {
  url: string;
  /** One header (a key), or several (a ChatGPT account's token and account id). */
  credential: readonly [name: string, value: string] | readonly (readonly [name: string, value: string])[];
  /** Headers the upstream needs when the client sent none. */
  defaults?: Record<string, string>;
  /** Upgrade answer headers the client's 101 never carries (a ChatGPT backend's set-cookie). */
  hideHeaders?: ReadonlySet<string>;
  timeoutMs: number;
}

/** Upstream frames are the model's output: larger than any request, still bounded. */
export const UPSTREAM_MAX_FRAME = 64 << 20;

export interface UpstreamSocket {
  socket: WebSocket;
  /** Its upgrade answer's end-to-end headers, as raw header lines for the client's 101. */
  headers: string[];
  /** The same headers as node:http parsed them (the ChatGPT plan's usage windows are read from them). */
  upgradeHeaders: IncomingHttpHeaders;
}

/** Why the upstream refused the upgrade, when it answered with a status (a 401 is worth one refresh). */
export function refusedStatus(err: unknown): number | undefined {
  const cause = (err as { cause?: { upstreamStatus?: unknown } })?.cause;
  return typeof cause?.upstreamStatus === 'number' ? cause.upstreamStatus : undefined;
}

export function openUpstreamSocket(req: IncomingMessage, client: Duplex, options: UpstreamSocketOptions): Promise<UpstreamSocket> {
  // Issue 13: a client that left while we awaited (a token refresh between two attempts) never
  // emits 'close' again; an upstream opened for it would stay open, joined to nothing.
  if (client.destroyed) return Promise.reject(new GatehouseError('upgrade_required', 'the client closed the connection; use HTTP streaming'));
  const headers = upstreamHeaders(req.headers, options.defaults ?? {}, options.credential);
  for (const name of Object.keys(headers)) if (name.startsWith('sec-websocket-') || name === 'accept-encoding') delete headers[name];
  // No subprotocol goes upstream: a browser client's may carry a key (openai-insecure-api-key.…).
  const socket = new WebSocket(options.url, [], { headers, handshakeTimeout: options.timeoutMs, autoPong: false, maxPayload: UPSTREAM_MAX_FRAME, followRedirects: false });
  return new Promise((resolve, reject) => {
    let answer: string[] = [];
    let upgradeHeaders: IncomingHttpHeaders = {};
    const fail = (why: string, upstreamStatus?: number) => {
      client.off('close', clientGone);
      socket.terminate();
      reject(new GatehouseError('upgrade_required', `${why}; use HTTP streaming`, upstreamStatus === undefined ? {} : { cause: { upstreamStatus } }));
    };
    // The client left while upstream was answering: nothing is left to join.
    const clientGone = () => fail('the client closed the connection');
    client.once('close', clientGone);
    socket.once('upgrade', (res: IncomingMessage) => {
      upgradeHeaders = res.headers;
      const kept = clientHeaders(res.headers);
      answer = Object.entries(kept).filter(([name]) => !name.startsWith('sec-websocket-') && name !== 'content-length' && !options.hideHeaders?.has(name)).flatMap(([name, v]) => [v].flat().map((one) => `${name}: ${one}`));
    });
    socket.once('open', () => {
      socket.pause();
      client.off('close', clientGone);
      // From here a client that leaves before the join (a refused handshake) closes the upstream too.
      client.once('close', () => socket.readyState === WebSocket.OPEN && !joined(socket) && socket.terminate());
      resolve({ socket, headers: answer, upgradeHeaders });
    });
    socket.once('unexpected-response', (_r, res: IncomingMessage) => {
      res.resume();
      fail(`the upstream does not accept the Responses WebSocket (HTTP ${res.statusCode})`, res.statusCode);
    });
    socket.on('error', () => socket.readyState !== WebSocket.OPEN && fail('the upstream Responses WebSocket cannot be reached'));
  });
}

/** Whether the pipe has taken the socket (it listens for messages). */
function joined(socket: WebSocket): boolean {
  return socket.listenerCount('message') > 0;
}
