// One gateway request (or one WebSocket turn) as operators see it: one count in the metrics and
// one `gateway request` (`gateway turn`) log line, whose request_id is the x-gatehouse-request-id
// the client got. It ends when both the response has closed and its metering has finished,
// whichever is last (a stream cut mid-way settles its usage after the close), so each request is
// counted once and its line carries the tokens of its usage row.
// Only named fields go to the line: no header, query, body or argument value can carry a secret.
// Labels are bounded (metrics.ts): the model is the catalog's id, "other" or "none".
import { randomUUID } from 'node:crypto';
import type { Catalog } from '../core/catalog.js';
import { asPublicError } from '../errors.js';
import type { Log, LogTokens } from '../log.js';
import type { Metrics, RequestFacts, UpstreamErrorKind } from '../ops/metrics.js';
import type { Caller } from './caller.js';
import type { ForwardOutcome } from './forward.js';
import type { CallPlan } from './plan.js';

export interface TraceSink {
  metrics: Metrics;
  log: Log;
}

export type Usage = NonNullable<RequestFacts['usage']>;

export class RequestTrace implements RequestFacts {
  readonly id: string;
  provider = 'none';
  model = 'none';
  source = 'none';
  api = 'none';
  status = 0;
  durationMs = 0;
  ttfbMs?: number;
  usage?: Usage;
  refusal?: string;
  upstreamError?: UpstreamErrorKind;
  private caller?: string;
  private user?: string;
  private integration?: string;
  private readonly started = performance.now();
  /** Meterings begun and not yet finished. */
  private pending = 0;
  private closed = false;
  private done = false;

  constructor(
    private readonly sink: TraceSink,
    private readonly kind: 'request' | 'turn',
    private readonly method: string,
    /** Without its query (it may carry a key), clipped. */
    private readonly path: string,
    id?: string,
    /** Run once at the end: e.g. the event-loop watch's registration (LoopWatch.begin). */
    private readonly onEnd?: () => void,
  ) {
    this.id = id ?? randomUUID();
  }

  identified(caller: Caller): void {
    this.caller = caller.apiKey ? `key:${caller.apiKey.name}` : caller.vm ? `vm:${caller.vm.name}` : undefined;
    this.user = String(caller.userId);
  }

  /** The integration named, once the caller may use it. */
  through(integration: string): void {
    this.integration = integration;
  }

  /** Provider, model label, source and integration, as planCall decided them. */
  planned(plan: CallPlan, catalog: Catalog): void {
    this.identified(plan.caller);
    this.integration = plan.integration.name;
    this.provider = plan.provider;
    this.source = plan.setting.source;
    this.model = plan.ref ? (catalog.get(plan.ref.bare)?.id ?? 'other') : 'none';
  }

  /** A refusal (gatehouse's own, by code) or an upstream failure that left as an error answer. */
  refused(err: unknown): void {
    const pub = asPublicError(err);
    if (pub.code === 'upstream_timeout') this.upstreamError ??= 'timeout';
    else if (pub.code === 'upstream_unreachable') this.upstreamError ??= 'connect';
    else if (pub.code !== 'internal') this.refusal = pub.code;
    this.status = pub.httpStatus;
  }

  /** What the forwarder saw: time to first byte, and how upstream failed, if it did. */
  forwarded(outcome: ForwardOutcome | undefined): void {
    if (!outcome) return;
    this.ttfbMs = outcome.firstByteMs;
    this.upstreamError ??= outcome.failure ?? (outcome.status === 429 ? 'status_429' : outcome.status >= 500 && outcome.status < 600 ? 'status_5xx' : undefined);
  }

  /** A metering began (metering.ts): the trace waits for its usage before it ends. */
  wait(): void {
    if (!this.done) this.pending++;
  }

  /** The metering finished (undefined: it never began, e.g. 402). */
  metered(usage: Usage | undefined, firstByteMs?: number): void {
    if (this.done) return;
    if (usage) this.usage = usage;
    if (firstByteMs !== undefined) this.ttfbMs ??= firstByteMs;
    this.pending--;
    this.end();
  }

  /** The response closed (HTTP) or the turn ended (WebSocket) with this status. */
  close(status: number): void {
    if (this.closed) return;
    this.closed = true;
    this.status = status;
    this.durationMs = performance.now() - this.started;
    this.end();
  }

  private end(): void {
    if (!this.closed || this.pending > 0 || this.done) return;
    this.done = true;
    this.onEnd?.();
    const { metrics, log } = this.sink;
    if (this.kind === 'turn') metrics.websocketTurn(this);
    else metrics.gatewayRequest(this);
    const u = this.usage;
    log.info(this.kind === 'turn' ? 'gateway turn' : 'gateway request', {
      request_id: this.id,
      method: this.method,
      path: this.path,
      caller: this.caller,
      user: this.user,
      integration: this.integration,
      provider: this.provider,
      model: this.model,
      source: this.source,
      api: this.api,
      status: this.status,
      duration_ms: Math.round(this.durationMs),
      ttfb_ms: this.ttfbMs === undefined ? undefined : Math.round(this.ttfbMs),
      tokens: u && tokensOf(u),
      cost_usd: u && u.costMicros / 1e6,
      refusal: this.refusal,
      upstream_error: this.upstreamError,
    });
  }
}

function tokensOf(u: Usage): LogTokens {
  return { input: u.input, output: u.output, cache_read: u.cacheRead, cache_write: u.cacheWrite };
}

/** A request target without its query, clipped: safe for a log line. */
export function pathOf(url: string | undefined): string {
  const q = (url ?? '').indexOf('?');
  return (q === -1 ? (url ?? '') : url!.slice(0, q)).slice(0, 120);
}
