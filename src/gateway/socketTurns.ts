// The turns of one relayed Responses WebSocket, planned and metered as HTTP requests are (plan.ts,
// issues 15.2 and 15.4): each response.create is planned again from the current index (caller,
// integration, credential, model scope), admitted by the caller's rate limits (a turn in flight
// holds a slot, as a stream does) and reserves credits before it goes upstream (a refusal of
// the turn is an error frame in OpenAI's shape; the socket stays open), and each turn's end
// upstream (response.completed / .incomplete / .failed, or an error frame) settles it and queues
// one usage row. Turns end in the order they began: one connection answers one turn at a time.
// On a ChatGPT account (issue 13) a turn follows the HTTP body rules (store:true is an error
// frame) and is metered with source chatgpt, never charged.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Config } from '../config.js';
import type { Services } from '../core/services.js';
import type { Log } from '../log.js';
import { asPublicError } from '../errors.js';
import { errorBody } from '../providers/provider.js';
import { integrationFor } from './caller.js';
import type { Credentials } from './credentials.js';
import { publicError } from './errors.js';
import { RequestMetering, sessionId } from './metering.js';
import { parseModel } from './modelPolicy.js';
import { beginMetering, callerOf, lendsManagedKey, managedKeyRefusal, planCall, planSocket, withBareModel, type SocketLine } from './plan.js';
import { admitWithoutResponse } from './rateLimit.js';
import { turnRules } from './chatgpt.js';

interface Turn {
  metering?: RequestMetering;
  /** Frees the turn's in-flight slot (rate limits). */
  release: () => void;
  requestId: string;
  startedAt: number;
  firstByteMs?: number;
}

/** How a turn reaches the two sides: an error frame to the client, a rewritten frame upstream, a close. */
export interface TurnTransport {
  reply(frame: string): void;
  forward(frame: string): void;
  close(code: number, reason: string): void;
}

export interface TurnDeps {
  config: Readonly<Config>;
  services: Services;
  credentials: Credentials;
  log: Log;
}

/** Frames that end a turn name their type first; only these are parsed (a delta never is). */
const TURN_END = /^\{\s*"type"\s*:\s*"(response\.completed|response\.incomplete|response\.failed|error)"/;
/** A client that closes mid-turn, as node:http's "client closed request" is recorded for HTTP. */
const CLIENT_GONE = 499;
/** The credential changed under the socket: "service restart", the client reconnects and gets the new one. */
export const CLOSE_CHANGED = 1012;
/** The socket's caller or integration refuses every turn now (the error frame says why). */
export const CLOSE_REFUSED = 1008;
const CHANGED = 'the integration changed; reconnect to use its new settings';

export class SocketTurns {
  private readonly open: Turn[] = [];
  private ended = false;
  /** Called when the last open turn ends, before its end frame is relayed (a drain closes the socket then: socketDrain.ts). */
  onIdle: (() => void) | undefined;

  get idle(): boolean {
    return this.open.length === 0;
  }

  constructor(
    private readonly deps: TurnDeps,
    private readonly req: IncomingMessage,
    /** The integration named by the upgrade: found again, in the current index, for each turn. */
    private readonly name: string,
    /** The credential the upstream socket was opened with. */
    private readonly key: string,
    private readonly transport: TurnTransport,
  ) {}

  /** A client frame: true to send it upstream; a refusal is answered with an error frame. */
  readonly admit = (data: Buffer, binary: boolean): boolean | Promise<boolean> => {
    if (this.ended) return false;
    const frame = binary ? undefined : parseObject(data);
    return frame?.type === 'response.create' ? this.begin(frame, data) : true;
  };

  private async begin(frame: Record<string, unknown>, data: Buffer): Promise<boolean> {
    const line = await this.line();
    if (!line) return false;
    const { config, services } = this.deps;
    try {
      const ref = typeof frame.model === 'string' ? parseModel(frame.model) : undefined;
      const plan = planCall(services.catalog, line.plan.caller, line.plan.integration, 'openai', ref);
      if (!lendsManagedKey(plan, 'responses')) throw managedKeyRefusal(plan);
      // Upstream knows only bare ids, as over HTTP; a ChatGPT account's backend stores nothing.
      const bare = withBareModel(frame, ref)!;
      const outgoing = plan.setting.source === 'chatgpt' ? turnRules(plan.integration.name, plan.setting.account ?? '', bare) : bare;
      const admission = await admitWithoutResponse(services.limits, plan.caller);
      if (!admission.ok) return this.refuse(admission.error, admission.headers);
      let metering: RequestMetering | undefined;
      try {
        metering = await beginMetering(config, services, plan, 'responses', data.length, frame);
      } catch (err) {
        admission.release();
        throw err;
      }
      metering?.onStart('text/event-stream'); // each turn's end is fed to it as one SSE event
      const turn: Turn = { metering, release: admission.release, requestId: randomUUID(), startedAt: performance.now() };
      // The socket closed while the turn was admitted: settle it now (closed() has already run), send nothing.
      if (this.ended) return this.end(turn, CLIENT_GONE), false;
      this.open.push(turn);
      if (outgoing === frame) return true;
      // Only a frame a rule changed is re-serialised.
      this.transport.forward(JSON.stringify(outgoing));
      return false;
    } catch (err) {
      return this.refuse(err);
    }
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
      line = await planSocket(config, services, credentials, caller, integrationFor(caller, snapshot, this.name));
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

  private refuse(err: unknown, headers?: Record<string, string>): false {
    const pub = asPublicError(err);
    if (pub.code === 'internal') this.deps.log.error('gateway WebSocket turn failed', err);
    this.transport.reply(JSON.stringify({ type: 'error', status: pub.httpStatus, ...(errorBody('openai', publicError(pub)) as object), ...(headers && { headers }) }));
    return false;
  }

  /** An upstream frame on its way to the client: read only when it ends the current turn. */
  readonly observe = (data: Buffer, binary: boolean): void => {
    const turn = this.open[0];
    if (!turn || binary) return;
    turn.firstByteMs ??= performance.now() - turn.startedAt;
    const kind = TURN_END.exec(data.subarray(0, 64).toString('latin1'))?.[1];
    if (!kind) return;
    const frame = parseObject(data);
    if (!frame) return;
    this.open.shift();
    if (kind === 'error') return this.end(turn, typeof frame.status === 'number' ? frame.status : 502);
    turn.metering?.feed(Buffer.from(`data: ${data.toString('utf8')}\n\n`));
    this.end(turn, 200);
  };

  /** The socket closed: turns still open are recorded with what was seen (credits settled). */
  readonly closed = (): void => {
    this.ended = true;
    for (const turn of this.open.splice(0)) this.end(turn, CLIENT_GONE);
  };

  private end(turn: Turn, status: number): void {
    turn.release();
    turn.metering?.finish(status, turn.requestId, sessionId(this.req), turn.firstByteMs);
    if (this.open.length === 0) this.onIdle?.();
  }
}

function parseObject(data: Buffer): Record<string, unknown> | undefined {
  if (data[0] !== 0x7b) return undefined; // '{'
  try {
    const v = JSON.parse(data.toString('utf8'));
    return v && typeof v === 'object' && !Array.isArray(v) ? v : undefined;
  } catch {
    return undefined;
  }
}
