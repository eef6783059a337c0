// The Responses API over WebSocket (Codex's built-in provider opens one per session): on an
// upgrade at an OpenAI Responses path, the caller is identified as for HTTP, one upstream
// WebSocket is opened with the integration's credential (the client's removed), and the two are
// joined frame for frame (socketPipe.ts); on a ChatGPT account, the backend's socket with the
// account's token (chatgptSocket.ts). Where it cannot be served the answer is 426, the one
// status on which Codex falls back to HTTP at once (anything else costs it retries, then the turn).
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import WebSocket, { WebSocketServer } from 'ws';
import type { Config } from '../config.js';
import type { Services } from '../core/services.js';
import { asPublicError, GatehouseError } from '../errors.js';
import type { Log } from '../log.js';
import { providers } from '../providers/index.js';
import { integrationFor } from './caller.js';
import type { Credentials } from './credentials.js';
import { rawError } from './errors.js';
import { admitWithoutResponse } from './rateLimit.js';
import { callerOf, planSocket } from './plan.js';
import type { DrainableUpgrade } from './socketDrain.js';
import { SocketTurns } from './socketTurns.js';
import { socketRoute, type SocketRoute } from './socketRoute.js';
import { pipeSockets } from './socketPipe.js';
import { openUpstreamSocket, type UpstreamSocket } from './upstreamSocket.js';
import { noteRateLimits, openChatgptSocket } from './chatgptSocket.js';
import type { SocketLine } from './plan.js';
import { pathOf, RequestTrace, type TraceSink } from './trace.js';

export interface RelayDeps {
  config: Readonly<Config>;
  services: Services;
  credentials: Credentials;
  upstream: { origin: string; basePath: string };
  log: Log;
}

/** Error frames queued for a client that does not read them, before it is cut off. */
const REPLY_BACKLOG = 1 << 20;

const KEY = /^[+/0-9A-Za-z]{21}[AQgw]==$/;

export class ResponsesSocketRelay {
  private readonly server: WebSocketServer;
  private readonly joined = new Set<WebSocket>();
  /** The upstream's upgrade headers Codex reads (x-codex-turn-state, x-models-etag …), per pending client handshake. */
  private readonly upgradeHeaders = new WeakMap<IncomingMessage, string[]>();

  constructor(
    private readonly deps: RelayDeps,
    private readonly sink: TraceSink,
  ) {
    // A client frame is a request body: the same cap. No compression from clients (no inflate bombs).
    // No subprotocol is chosen (none goes upstream either).
    this.server = new WebSocketServer({ noServer: true, maxPayload: deps.config.maxBodyBytes, perMessageDeflate: false, autoPong: false, clientTracking: false, handleProtocols: () => false });
    this.server.on('headers', (headers: string[], req: IncomingMessage) => headers.push(...(this.upgradeHeaders.get(req) ?? [])));
  }

  readonly upgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    socket.on('error', () => socket.destroy());
    // The upgrade is a gateway request of its own (one count, one line: trace.ts); its turns are traced apart.
    const trace = new RequestTrace(this.sink, 'request', req.method ?? 'GET', pathOf(req.url));
    trace.api = 'responses';
    const route = socketRoute(req.headers.host, req.url, this.deps.config.domain);
    if (!route) return refuse(socket, unsupported('WebSocket is served only on the OpenAI Responses API (/v1/responses) of an llm integration; use HTTP streaming'), trace);
    if (String(req.headers.upgrade).toLowerCase() !== 'websocket') return refuse(socket, unsupported(`only WebSocket upgrades are served, not ${JSON.stringify(String(req.headers.upgrade).slice(0, 32))}; use HTTP`), trace);
    if (req.method !== 'GET' || req.headers['sec-websocket-version'] !== '13' || !KEY.test(String(req.headers['sec-websocket-key'] ?? ''))) {
      return refuse(socket, new GatehouseError('invalid_input', 'malformed WebSocket upgrade (GET, Sec-WebSocket-Key, Sec-WebSocket-Version 13)'), trace);
    }
    this.connect(req, socket, head, route, trace).then(
      (answered) => trace.close(answered ? 101 : CLIENT_GONE),
      (err) => {
        if (asPublicError(err).code === 'internal') this.deps.log.error('gateway WebSocket upgrade failed', err);
        refuse(socket, err, trace);
      },
    );
  };

  /** Whether the client got its 101 (false: it left while the upstream was opened). */
  private async connect(req: IncomingMessage, socket: Duplex, head: Buffer, route: SocketRoute, trace: RequestTrace): Promise<boolean> {
    const { config, services, credentials } = this.deps;
    const snapshot = await services.index.current();
    const caller = await callerOf(req, services, snapshot);
    trace.identified(caller);
    const integration = integrationFor(caller, snapshot, route.integration, route.where);
    const line = await relayable(planSocket(config, services, credentials, caller, integration));
    trace.planned(line.plan, services.catalog);
    // The upgrade counts as one request against the per-minute limit; each turn is then admitted
    // on its own (socketTurns.ts), so an idle socket holds no in-flight slot.
    const admission = await admitWithoutResponse(services.limits, caller);
    if (!admission.ok) throw admission.error;
    admission.release();
    if (socket.destroyed) return false;
    const upstream = await this.openUpstream(req, socket, line, route.search);
    // Issue 13: the client died while upstream was opening (its 'close' may have come before the
    // listener did): handleUpgrade would drop the dead socket without calling back, and the
    // upstream, opened with the integration's credential, would stay open and untracked.
    if (socket.destroyed) return upstream.socket.terminate(), false;
    this.upgradeHeaders.set(req, [...upstream.headers, `x-gatehouse-request-id: ${trace.id}`]);
    this.server.handleUpgrade(req, socket, head, (client) => {
      this.joined.add(client);
      client.once('close', () => this.joined.delete(client));
      const turns = new SocketTurns({ config, services, credentials, log: this.deps.log, sink: this.sink }, req, route, line.key, {
        // A client that sends refused turns but never reads its error frames is closed, not buffered for.
        reply: (frame) => client.readyState === WebSocket.OPEN && (client.bufferedAmount > REPLY_BACKLOG ? client.terminate() : client.send(frame)),
        // The pipe holds the client paused while a turn is planned: read on, or its close reply is never seen.
        close: (code, reason) => (client.close(code, reason), client.resume()),
      });
      client.once('close', turns.closed);
      const fromUpstream = upstream.accountRowId === undefined ? turns.observe : noteRateLimits(services.chatgpt, upstream.accountRowId, turns.observe);
      pipeSockets(client, upstream.socket, { fromClient: turns.admit, fromUpstream });
      (req as DrainableUpgrade).relayed?.add(client, upstream.socket, turns);
      upstream.socket.resume();
    });
    return true;
  }

  /** The upstream end: the provider's socket with the integration's key, or a ChatGPT account's backend socket. */
  private openUpstream(req: IncomingMessage, socket: Duplex, line: SocketLine, search: string): Promise<UpstreamSocket & { accountRowId?: number }> {
    const { config, services } = this.deps;
    const timeoutMs = Math.min(config.upstreamTimeoutMs, 10_000);
    if (line.plan.setting.source === 'chatgpt') return relayable(openChatgptSocket(req, socket, services.chatgpt, config.chatgpt.backend, line.plan, search, timeoutMs));
    const { origin, basePath } = this.deps.upstream;
    return openUpstreamSocket(req, socket, { url: `${origin.replace(/^http/, 'ws')}${basePath}/v1/responses${search}`, credential: providers.openai.credentialHeader(line.key), timeoutMs });
  }

  /** Shutdown: every joined pair is closed as "going away" (1001); the upstream sides follow. */
  close(): void {
    for (const client of this.joined) client.close(1001, 'gatehouse is shutting down');
    this.server.close();
  }
}

/** Any reason the integration cannot be relayed is a 426, so Codex asks again over HTTP (which explains it). */
async function relayable<T>(planned: Promise<T>): Promise<T> {
  try {
    return await planned;
  } catch (err) {
    if (err instanceof GatehouseError && err.code !== 'internal') throw unsupported(`${err.message}; use HTTP streaming`);
    throw err;
  }
}

function unsupported(message: string): GatehouseError {
  return new GatehouseError('upgrade_required', message);
}

/** A client that left before it was answered, as HTTP records it. */
const CLIENT_GONE = 499;

/** The upgrade's answer, counted as a refusal (or an upstream failure) with the request id it carries. */
function refuse(socket: Duplex, err: unknown, trace: RequestTrace): void {
  trace.refused(err);
  if (!socket.writable) {
    trace.close(CLIENT_GONE);
    return void socket.destroy();
  }
  const pub = asPublicError(err);
  socket.end(rawError('openai', pub, pub.httpStatus, trace.id));
  trace.close(pub.httpStatus);
}
