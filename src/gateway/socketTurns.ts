// The turns of one relayed Responses WebSocket, metered as HTTP requests are (issue 15.2): each
// response.create is checked against the model scope and the caller's rate limits (a turn in
// flight holds a slot, as a stream does) and reserves credits before it goes upstream
// (a refusal is an error frame in OpenAI's shape; the socket stays open), and each turn's end
// upstream (response.completed / .incomplete / .failed, or an error frame) settles it and queues
// one usage row. Turns end in the order they began: one connection answers one turn at a time.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Config } from '../config.js';
import type { IndexedIntegration } from '../core/integrationIndex.js';
import type { Source } from '../core/integrations.js';
import type { Services } from '../core/services.js';
import { asPublicError } from '../errors.js';
import { errorBody } from '../providers/provider.js';
import type { Caller } from './caller.js';
import { publicError } from './errors.js';
import { RequestMetering, sessionId } from './metering.js';
import { checkModelProvider, decide, parseModel } from './modelPolicy.js';
import { admitWithoutResponse } from './rateLimit.js';

interface Turn {
  metering?: RequestMetering;
  /** Frees the turn's in-flight slot (rate limits). */
  release: () => void;
  requestId: string;
  startedAt: number;
  firstByteMs?: number;
}

/** Frames that end a turn name their type first; only these are parsed (a delta never is). */
const TURN_END = /^\{\s*"type"\s*:\s*"(response\.completed|response\.incomplete|response\.failed|error)"/;
/** A client that closes mid-turn, as node:http's "client closed request" is recorded for HTTP. */
const CLIENT_GONE = 499;

export class SocketTurns {
  private readonly open: Turn[] = [];
  /** Called when the last open turn ends, before its end frame is relayed (a drain closes the socket then: socketDrain.ts). */
  onIdle: (() => void) | undefined;

  get idle(): boolean {
    return this.open.length === 0;
  }

  constructor(
    private readonly config: Readonly<Config>,
    private readonly services: Services,
    private readonly req: IncomingMessage,
    private readonly caller: Caller,
    private readonly integration: IndexedIntegration,
    private readonly source: Source,
  ) {}

  /** A client frame: true to send it upstream; a refusal is answered with `reply` (an error frame). */
  admit(data: Buffer, binary: boolean, reply: (frame: string) => void): boolean | Promise<boolean> {
    const frame = binary ? undefined : parseObject(data);
    return frame?.type === 'response.create' ? this.begin(frame, data, reply) : true;
  }

  private async begin(frame: Record<string, unknown>, data: Buffer, reply: (frame: string) => void): Promise<boolean> {
    try {
      if (typeof frame.model !== 'string') return true; // upstream refuses it in its own words
      const { catalog } = this.services;
      const ref = parseModel(frame.model);
      checkModelProvider(ref, 'openai', catalog);
      decide(this.integration, 'openai', ref, catalog, this.caller.apiKey?.models);
      const release = await admitWithoutResponse(this.services.limits, this.caller);
      let metering: RequestMetering | undefined;
      try {
        metering = this.config.metering
          ? await RequestMetering.begin(this.services, { caller: this.caller, integration: this.integration, provider: 'openai', source: this.source, api: 'responses', model: catalog.get(ref.bare), modelId: ref.bare, bodyBytes: data.length, json: frame })
          : undefined;
      } catch (err) {
        release();
        throw err;
      }
      metering?.onStart('text/event-stream'); // each turn's end is fed to it as one SSE event
      this.open.push({ metering, release, requestId: randomUUID(), startedAt: performance.now() });
      return true;
    } catch (err) {
      const pub = asPublicError(err);
      reply(JSON.stringify({ type: 'error', status: pub.httpStatus, ...(errorBody('openai', publicError(pub)) as object) }));
      return false;
    }
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
