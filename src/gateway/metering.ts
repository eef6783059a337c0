// Metering one forwarded request: reserve credits before it goes upstream (charged requests
// only), read usage as the response passes, then settle and queue one usage row — whatever
// happened, including a stream cut short or an upstream that never answered.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ProviderId } from '../config.js';
import type { Model } from '../core/catalog.js';
import type { Reservation } from '../core/credits.js';
import type { IndexedIntegration } from '../core/integrationIndex.js';
import type { Source } from '../core/integrations.js';
import { costMicros, estimateMicros } from '../core/pricing.js';
import type { Services } from '../core/services.js';
import { isCharged, outputCap, usageReader, type Api } from '../providers/usage.js';
import type { Caller } from './caller.js';
import type { ForwardOutcome } from './forward.js';
import { Meter } from './meter.js';
import type { RequestTrace } from './trace.js';
import { fitted } from './usageRow.js';

export interface MeteredRequest {
  caller: Caller;
  integration: IndexedIntegration;
  provider: ProviderId;
  source: Source;
  api: Api;
  /** The catalog entry of the requested model, when it has one (prices). */
  model?: Model;
  modelId?: string;
  bodyBytes: number;
  json?: Record<string, unknown>;
  /** Told the usage when the row is queued (one log line and count per request: trace.ts). */
  trace?: RequestTrace;
}

export class RequestMetering {
  private readonly meter: Meter;
  private readonly started = new Date();
  private readonly startedAt = performance.now(); // same clock as the forwarder's time to first byte

  private constructor(
    private readonly services: Services,
    private readonly r: MeteredRequest,
    private readonly charged: boolean,
    private readonly reservation: Reservation | undefined,
  ) {
    this.meter = new Meter(usageReader(r.api), r.modelId === undefined);
  }

  /** Admits the request (402 when a charged request finds no credits left) and starts metering it. */
  static async begin(services: Services, r: MeteredRequest): Promise<RequestMetering> {
    const charged = r.source === 'gateway' && isCharged(r.api) && r.model !== undefined;
    // The client's output cap counts up to the model's own: max_tokens 1e308 must not reserve (and
    // block the user's other requests on) more than the model can ever produce.
    const maxOutput = Math.min(outputCap(r.json) ?? Infinity, r.model?.max_output_tokens ?? Infinity);
    // A team integration's gateway traffic is the team's to pay (its credits, its 402), not the member's.
    const team = r.integration.teamId;
    const estimate = charged ? estimateMicros(r.model!.price, r.bodyBytes, maxOutput) : 0;
    const reservation = charged ? await services.credits.admit(team ?? r.caller.userId, estimate, team !== undefined) : undefined;
    r.json = undefined; // only the output cap was needed: do not hold the parsed body for a long stream
    return new RequestMetering(services, r, charged, reservation);
  }

  readonly onStart = (contentType: string | undefined): void => this.meter.start(contentType);
  readonly feed = (chunk: Buffer): void => this.meter.feed(chunk);

  end(req: IncomingMessage, res: ServerResponse, outcome: ForwardOutcome | undefined, failedStatus: number | undefined): void {
    this.finish(outcome?.status ?? failedStatus ?? 500, String(res.getHeader('x-gatehouse-request-id') ?? ''), sessionId(req), outcome?.firstByteMs);
  }

  /** Settles the credits and queues the usage row: `end` for HTTP, per turn for a WebSocket (socketTurns.ts). */
  finish(status: number, requestId: string, session: string | null, firstByteMs: number | undefined): void {
    const r = this.r;
    const { caller, integration } = r;
    const usage = this.meter.finish();
    const cost = this.charged ? costMicros(r.model!.price, usage) : 0;
    this.services.credits.settle(this.reservation, cost);
    const createdAt = this.started.toISOString();
    r.trace?.metered({ input: usage.input, output: usage.output, cacheRead: usage.cacheRead, cacheWrite: usage.cacheWrite, costMicros: cost }, firstByteMs);
    this.services.usage.add(fitted({
      created_at: createdAt,
      // The reservation's month: admit() may have waited on a top-up across month end, and the
      // cost must come off the lease that reserved it. Else monthOf(this.started), cheaply.
      month: this.reservation?.month ?? createdAt.slice(0, 7),
      request_id: requestId,
      user_id: caller.userId,
      vm_id: caller.vm?.id ?? null,
      vm_name: caller.vm?.name ?? null,
      api_key_id: caller.apiKey?.id ?? null,
      api_key_name: caller.apiKey?.name ?? null,
      integration_id: integration.id,
      integration_name: integration.name,
      provider: r.provider,
      model: r.modelId ?? usage.model ?? '-',
      source: r.source,
      api: r.api,
      status,
      input_tokens: usage.input,
      output_tokens: usage.output,
      cache_read_tokens: usage.cacheRead,
      cache_write_tokens: usage.cacheWrite,
      cost_micros: cost,
      latency_ms: Math.round(performance.now() - this.startedAt),
      ttfb_ms: firstByteMs === undefined ? null : Math.round(firstByteMs),
      session_id: session,
      team_id: integration.teamId ?? null,
    }));
  }
}

export function sessionId(req: IncomingMessage): string | null {
  const v = req.headers['x-claude-code-session-id'];
  return typeof v === 'string' && v ? v : null; // clipped by fitted()
}
