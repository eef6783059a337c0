// The turns of one relayed Responses WebSocket, planned and metered as HTTP requests are (plan.ts,
// issues 15.2 and 15.4). A turn is a response.create (or a response.append between turns): it is
// admitted by the caller's rate limits (a turn in flight holds a slot, as a stream does), planned
// again from the current index (caller, integration, credential, model scope) and reserves credits
// before it goes upstream; a refusal is an error frame in OpenAI's shape and the socket stays open.
// Its end upstream (response.completed / .incomplete / .failed) settles it and queues one usage
// row. One turn at a time, as the Responses WebSocket answers them: a client frame other than a
// response.append waits for the turn in flight to end, so every end frame belongs to that turn.
// On a ChatGPT account (issue 13) a turn follows the HTTP body rules (store:true is an error
// frame) and is metered with source chatgpt, never charged.
import type { IncomingMessage } from 'node:http';
import type { Config } from '../config.js';
import type { Services } from '../core/services.js';
import type { Log } from '../log.js';
import { asPublicError, GatehouseError } from '../errors.js';
import { errorBody } from '../providers/provider.js';
import { integrationFor } from './caller.js';
import type { Credentials } from './credentials.js';
import { publicError } from './errors.js';
import { RequestMetering, sessionId } from './metering.js';
import { parseModel, type ModelRef } from './modelPolicy.js';
import { beginMetering, callerOf, lendsManagedKey, managedKeyRefusal, planCall, planSocket, withBareModel, type SocketLine } from './plan.js';
import { admitWithoutResponse } from './rateLimit.js';
import { turnRules } from './chatgpt.js';
import type { Verdict } from './socketPipe.js';
import { asSseEvent, isCreated, readClientFrame, upstreamEnd, type ClientFrame } from './socketFrames.js';
import type { SocketRoute } from './socketRoute.js';
import { pathOf, RequestTrace, type TraceSink } from './trace.js';

interface Turn {
  metering?: RequestMetering;
  /** Frees the turn's in-flight slot (rate limits). */
  release: () => void;
  /** The turn's count and log line (trace.ts); its id is the turn's request id. */
  trace: RequestTrace;
  startedAt: number;
  firstByteMs?: number;
  /** Upstream has answered response.created: from then on only an end frame ends the turn. */
  created?: boolean;
  /** An error frame upstream sent after response.created: the turn ends with it when the client moves on. */
  failedStatus?: number;
}


/** How a turn answers the client: an error frame, a close. */
export interface TurnTransport {
  reply(frame: string): void;
  close(code: number, reason: string): void;
}

export interface TurnDeps {
  config: Readonly<Config>;
  services: Services;
  credentials: Credentials;
  log: Log;
  sink: TraceSink;
}

/** A client that closes mid-turn, as node:http's "client closed request" is recorded for HTTP. */
const CLIENT_GONE = 499;
/** The credential changed under the socket: "service restart", the client reconnects and gets the new one. */
export const CLOSE_CHANGED = 1012;
/** The socket's caller or integration refuses every turn now (the error frame says why). */
export const CLOSE_REFUSED = 1008;
const CHANGED = 'the integration changed; reconnect to use its new settings';

export class SocketTurns {
  private current: Turn | undefined;
  /** Frames waiting for the turn in flight to end. */
  private readonly waiting: (() => void)[] = [];
  private ended = false;
  /** A drain has begun: no new turn starts (socketDrain.ts closes the socket after the current one). */
  private admitting = true;
  /** The model of the last turn: a response.append between turns continues with it. */
  private lastModel: ModelRef | undefined;
  /** Called when the turn in flight ends, before its end frame is relayed (a drain closes the socket then: socketDrain.ts). */
  onIdle: (() => void) | undefined;

  get idle(): boolean {
    return this.current === undefined;
  }

  stopAdmitting(): void {
    this.admitting = false;
  }

  constructor(
    private readonly deps: TurnDeps,
    private readonly req: IncomingMessage,
    /** The integration named by the upgrade (and where): found again, in the current index, for each turn. */
    private readonly route: SocketRoute,
    /** The credential the upstream socket was opened with. */
    private readonly key: string,
    private readonly transport: TurnTransport,
  ) {}

  /** A client frame: what goes upstream in its place (bytes gatehouse serialised), or false; a refusal is answered with an error frame. */
  readonly admit = (data: Buffer, binary: boolean): Verdict | Promise<Verdict> => {
    if (this.ended) return false;
    if (binary) return this.refuse(new GatehouseError('invalid_input', 'binary frames are not part of the Responses WebSocket; send JSON text frames'));
    const frame = readClientFrame(data);
    if (typeof frame === 'string') return this.refuse(new GatehouseError('invalid_input', frame));
    if (frame.type === 'response.append' && this.current) return JSON.stringify(frame.body); // more input to the turn in flight
    return this.current ? this.afterTurn().then(() => this.next(frame, data.length)) : this.next(frame, data.length);
  };

  private next(frame: ClientFrame, bytes: number): Verdict | Promise<Verdict> {
    if (this.ended) return false;
    return frame.type === 'response.processed' ? JSON.stringify(frame.body) : this.begin(frame.body, bytes);
  }

  /** Resolves when the turn in flight has ended; one that upstream already failed ends now, as the client has moved on. */
  private afterTurn(): Promise<void> {
    const turn = this.current;
    if (turn?.failedStatus !== undefined) this.end(turn, turn.failedStatus);
    return this.current ? new Promise((resolve) => this.waiting.push(resolve)) : Promise.resolve();
  }

  private async begin(frame: Record<string, unknown>, bytes: number): Promise<Verdict> {
    if (!this.admitting) return this.refuse(new GatehouseError('unavailable', 'gatehouse is shutting down; reconnect and send the turn again'));
    const line = await this.line();
    if (!line) return false;
    const { config, services } = this.deps;
    const trace = this.trace();
    trace.identified(line.plan.caller);
    // Admitted before it is planned, as HTTP is: refused turns count against the limits too.
    const admission = await admitWithoutResponse(services.limits, line.plan.caller);
    if (!admission.ok) return this.refuse(admission.error, admission.headers, trace);
    let turn: Turn;
    let ref: ModelRef | undefined;
    try {
      ref = typeof frame.model === 'string' ? parseModel(frame.model) : frame.type === 'response.append' && frame.model === undefined ? this.lastModel : undefined;
      const plan = planCall(services.catalog, line.plan.caller, line.plan.integration, 'openai', ref);
      trace.planned(plan, services.catalog);
      if (!lendsManagedKey(plan, 'responses')) throw managedKeyRefusal(plan);
      // A ChatGPT account's backend stores nothing and wants instructions (the HTTP body rules).
      // Issue 13: only a response.create is a request body; a response.append carries input only.
      if (plan.setting.source === 'chatgpt' && frame.type === 'response.create') frame = turnRules(plan.integration.name, plan.setting.account ?? '', frame);
      const metering = await beginMetering(config, services, plan, 'responses', bytes, frame, trace);
      metering?.onStart('text/event-stream'); // each turn's end is fed to it as one SSE event
      turn = { metering, release: admission.release, trace, startedAt: performance.now() };
    } catch (err) {
      admission.release();
      return this.refuse(err, undefined, trace);
    }
    // The socket closed while the turn was admitted: settle it now (closed() has already run), send nothing.
    if (this.ended) return this.settle(turn, CLIENT_GONE), false;
    this.current = turn;
    this.lastModel = ref;
    // Upstream gets the frame as gatehouse read it, with the model id it knows (bare, as over HTTP).
    return JSON.stringify(withBareModel(frame, ref));
  }
  /**
   * The socket's plan, made again from the current index before each turn: an edited, detached
   * or removed integration, or a revoked key, applies from the next turn. A refusal closes the
   * socket after its error frame; another credential than the socket's closes it at once.
   */
  private async line(): Promise<SocketLine | undefined> {
    const { config, services, credentials } = this.deps;
    let line: SocketLine;
    try {
      const snapshot = await services.index.current();
      const caller = await callerOf(this.req, services, snapshot);
      line = await planSocket(config, services, credentials, caller, integrationFor(caller, snapshot, this.route.integration, this.route.where));
    } catch (err) {
      // A source that is not relayed is a changed credential: the reconnect is told 426.
      if (asPublicError(err).code === 'upgrade_required') return this.stop(CLOSE_CHANGED, CHANGED);
      this.refuse(err);
      return this.stop(CLOSE_REFUSED, 'the integration refuses this socket now; see the error frame');
    }
    return line.key === this.key ? line : this.stop(CLOSE_CHANGED, CHANGED);
  }

  private stop(code: number, reason: string): undefined {
    this.ended = true;
    this.transport.close(code, reason);
    return undefined;
  }

  /** A refused turn (or frame) is answered with an error frame, and counted and logged as a turn of its own. */
  private refuse(err: unknown, headers?: Record<string, string>, trace = this.trace()): false {
    const pub = asPublicError(err);
    if (pub.code === 'internal') this.deps.log.error('gateway WebSocket turn failed', err);
    this.transport.reply(JSON.stringify({ type: 'error', status: pub.httpStatus, ...(errorBody('openai', publicError(pub)) as object), ...(headers && { headers }) }));
    trace.refused(err);
    trace.close(pub.httpStatus);
    return false;
  }

  private trace(): RequestTrace {
    const trace = new RequestTrace(this.deps.sink, 'turn', 'WS', pathOf(this.req.url));
    trace.api = 'responses';
    return trace;
  }

  /** An upstream frame on its way to the client: looked into only when it may start or end the turn in flight. */
  readonly observe = (data: Buffer): void => {
    const turn = this.current;
    // Binary frames are read too: an upstream that sends its events as binary must still end its
    // turns, or the next turn would wait for ever (one turn at a time).
    if (!turn) return;
    turn.firstByteMs ??= performance.now() - turn.startedAt;
    if (!turn.created && isCreated(data)) return void (turn.created = true);
    const end = upstreamEnd(data);
    if (!end) return;
    if (end.kind === 'error') {
      // Refused before it was created (a 4xx of upstream's): the turn is over. After it, the turn
      // may still complete (an append upstream refused): it ends when the client moves on.
      if (turn.created) return void (turn.failedStatus = end.status ?? 502);
      return this.end(turn, end.status ?? 502);
    }
    turn.metering?.feed(asSseEvent(data));
    this.end(turn, 200);
  };

  /** The socket closed: a turn still open is recorded with what was seen (credits settled). */
  readonly closed = (): void => {
    this.ended = true;
    if (this.current) this.end(this.current, this.current.failedStatus ?? CLIENT_GONE);
  };

  private end(turn: Turn, status: number): void {
    this.current = undefined;
    this.settle(turn, status);
    this.onIdle?.();
    for (const wake of this.waiting.splice(0)) wake();
  }

  private settle(turn: Turn, status: number): void {
    turn.release();
    turn.metering?.finish(status, turn.trace.id, sessionId(this.req), turn.firstByteMs);
    if (status !== CLIENT_GONE) turn.trace.forwarded({ status, complete: true, firstByteMs: turn.firstByteMs });
    turn.trace.close(status);
  }
}
