// Forwarding: one keep-alive undici pool per upstream origin; the response streams back as it
// arrives (never buffered); a client that leaves aborts the upstream request; an SSE stream
// passes whole events only, so that it ends, whatever ends it, with the provider's own error
// event at an event boundary (DESIGN.md §4, §9), and quiet streams get keep-alive comments.
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { Pool } from 'undici';
import { GatehouseError } from '../errors.js';
import type { UpstreamErrorKind } from '../ops/metrics.js';
import type { ErrorStyle } from '../providers/provider.js';
import { answerCollected } from './collect.js';
import { Flight } from './flight.js';
import { clientHeaders } from './headers.js';
import { relay } from './relay.js';
import { SseFramer, SseKeepalive } from './sse.js';

export interface ForwardRequest {
  req: IncomingMessage;
  res: ServerResponse;
  /** Upstream origin, e.g. https://api.anthropic.com */
  origin: string;
  /** Path and query on the origin, base path included. */
  path: string;
  headers: Record<string, string | string[]>;
  body: Buffer | undefined;
  style: ErrorStyle;
  /** Learns the response's content type, status and headers before the first chunk (metering hooks in here). */
  onStart?: (contentType: string | undefined, status: number, headers: IncomingHttpHeaders) => void;
  /** Sees every upstream chunk, after what it became was written to the client. */
  tap?: (chunk: Buffer) => void;
  /** Rewrites the stream on its way to the client (whole events only); undefined: untouched. */
  rewrite?: { push(chunk: Buffer): Buffer; end(): Buffer };
  /**
   * Upstream answered 401 before anything reached the client: the headers to send the same
   * request with once more (a refreshed credential), or a GatehouseError for the client.
   */
  onUnauthorized?: () => Promise<Record<string, string | string[]>>;
  /** Upstream answered 401 again after onUnauthorized: the error the client gets instead of upstream's body. */
  unauthorizedAgain?: () => Promise<GatehouseError>;
  /** A 2xx stream is answered as the one JSON object it ends with (collect.ts), not passed through. */
  collect?: boolean;
  /** Response headers the client never sees (a ChatGPT backend's set-cookie). */
  hideHeaders?: ReadonlySet<string>;
}

export interface ForwardOutcome {
  status: number;
  /** The client saw the whole response (no disconnect, no upstream failure). */
  complete: boolean;
  firstByteMs?: number;
  /** How upstream failed after the response began (for the metrics; a failure before it is thrown). */
  failure?: UpstreamErrorKind;
}


export class Forwarder {
  private readonly pools = new Map<string, Pool>();
  private readonly flights = new Set<Flight>();
  /** Set by endStreams: no new request goes upstream. */
  private ended: GatehouseError | undefined;
  /** Who waits for no request to be in flight (endStreams). */
  private waiters: (() => void)[] = [];

  constructor(
    private readonly keepaliveMs: number,
    private readonly timeoutMs: number,
  ) {}

  /** Responses being relayed as streams now (SSE), for the metrics' gauge: counted at scrape time only. */
  get openStreams(): number {
    let n = 0;
    for (const flight of this.flights) if (flight.framer) n++;
    return n;
  }

  private pool(origin: string): Pool {
    let pool = this.pools.get(origin);
    if (!pool) {
      pool = new Pool(origin, {
        connections: null, // no cap: a capped pool queues long streams behind each other and they stall
        pipelining: 1,
        keepAliveTimeout: 30_000,
        connectTimeout: 10_000,
        headersTimeout: this.timeoutMs, // non-streaming reasoning calls can take minutes
        bodyTimeout: this.timeoutMs, // silence between chunks of a long stream
      });
      this.pools.set(origin, pool);
    }
    return pool;
  }

  async forward(f: ForwardRequest): Promise<ForwardOutcome> {
    // After endStreams (a shutdown past its drain), a request that was still being admitted must
    // not start a stream that the final cut would truncate: it gets the same 502 at once.
    if (this.ended) throw this.ended;
    const flight = new Flight(f.res, f.style);
    this.flights.add(flight);
    try {
      return await this.run(f, flight);
    } finally {
      this.flights.delete(flight);
      if (this.flights.size === 0 && this.waiters.length) for (const wake of this.waiters.splice(0)) wake();
    }
  }

  private async run(f: ForwardRequest, flight: Flight): Promise<ForwardOutcome> {
    const started = performance.now();
    const { abort } = flight;
    const onClientGone = () => {
      if (!f.res.writableFinished) abort.abort();
    };
    f.res.once('close', onClientGone);
    let upstream;
    try {
      upstream = await this.send(f, f.headers, abort);
      if (upstream.statusCode === 401 && f.onUnauthorized) {
        await upstream.body.dump();
        upstream = await this.send(f, await f.onUnauthorized(), abort);
        // Issue 13: a refreshed credential refused too; upstream's raw body is not the answer.
        if (upstream.statusCode === 401 && f.unauthorizedAgain) {
          await upstream.body.dump();
          throw await f.unauthorizedAgain();
        }
      }
    } catch (err) {
      f.res.off('close', onClientGone);
      if (flight.endedBy) throw flight.endedBy;
      if (abort.aborted) return { status: 499, complete: false };
      throw err instanceof GatehouseError ? err : upstreamFailure(err);
    }
    const contentType = upstream.headers['content-type'] as string | undefined;
    const isSse = /text\/event-stream/i.test(contentType ?? '');
    const rewrite = isSse && upstream.statusCode < 300 ? f.rewrite : undefined;
    const framer = isSse ? new SseFramer(f.style === 'responses') : undefined;
    flight.framer = framer;
    f.onStart?.(contentType, upstream.statusCode, upstream.headers);
    const shown = f.hideHeaders ? without(upstream.headers, f.hideHeaders) : upstream.headers;
    if (f.collect && isSse && upstream.statusCode < 300) return this.collected(f, { body: upstream.body, headers: shown }, flight, started, onClientGone);
    f.res.writeHead(upstream.statusCode, clientHeaders(shown));
    // A stream's headers go out at once (its first event may be long coming); a body of known
    // length carries them in its first write, saving a packet.
    if (isSse || upstream.headers['content-length'] === undefined) f.res.flushHeaders();
    const outcome: ForwardOutcome = { status: upstream.statusCode, complete: false };
    const keepalive = framer ? new SseKeepalive(f.res, this.keepaliveMs, framer) : undefined;
    let sentFirst = false;
    try {
      await relay(upstream.body, f.res, (chunk) => {
        outcome.firstByteMs ??= performance.now() - started;
        let more = true;
        if (!flight.closed) {
          const whole = framer ? framer.push(chunk) : chunk;
          const out = rewrite && whole.length ? rewrite.push(whole) : whole;
          if (out.length) {
            keepalive?.wrote();
            more = f.res.write(out);
            // node holds a tick's writes back (corked) to send them in one packet at its end; the
            // first event of a stream leaves at once instead: upstream's first events usually come
            // in the same read as many others, and the client got the first only after all of them
            // were framed and metered (issue 18: ~0.3 ms of added time to first byte at 200 events).
            if (framer && !sentFirst) {
              sentFirst = true;
              f.res.socket?.uncork();
            }
          }
        }
        f.tap?.(chunk);
        return more;
      });
      outcome.complete = !abort.aborted;
      if (!flight.closed) f.res.end(this.rest(framer, rewrite));
    } catch (err) {
      // The client left (nothing to tell it), or upstream failed or was ended: tell the client.
      if (abort.aborted && !flight.endedBy) f.res.destroy();
      else {
        const failure = midStreamFailure(err);
        if (!flight.endedBy) outcome.failure = failure.code === 'upstream_timeout' ? 'midstream_timeout' : 'midstream_lost';
        flight.fail(failure);
      }
    } finally {
      keepalive?.stop();
      f.res.off('close', onClientGone);
    }
    return outcome;
  }

  private send(f: ForwardRequest, headers: Record<string, string | string[]>, abort: Flight['abort']) {
    return this.pool(f.origin).request({ path: f.path, method: (f.req.method ?? 'GET') as 'GET', headers, body: f.body, signal: abort });
  }

  /** Collect mode: nothing reaches the client before the stream's end (so a failure is still a plain error answer). */
  private async collected(f: ForwardRequest, upstream: { body: import('node:stream').Readable; headers: IncomingHttpHeaders }, flight: Flight, started: number, onClientGone: () => void): Promise<ForwardOutcome> {
    try {
      return await answerCollected(upstream.body, upstream.headers, f.res, f.tap, started);
    } catch (err) {
      if (flight.endedBy) throw flight.endedBy;
      if (flight.abort.aborted) return { status: 499, complete: false };
      // Issue 13: collect mode's own refusal (an answer past its cap) says what happened.
      throw err instanceof GatehouseError ? err : midStreamFailure(err);
    } finally {
      f.res.off('close', onClientGone);
    }
  }

  /** The end of a stream that ended normally: an unfinished last event passes as it came. */
  private rest(framer: SseFramer | undefined, rewrite: ForwardRequest['rewrite']): Buffer | undefined {
    const tail = framer?.flush();
    if (!rewrite) return tail;
    return Buffer.concat([tail?.length ? rewrite.push(tail) : Buffer.alloc(0), rewrite.end()]);
  }

  /**
   * Ends every response in flight as a failed stream ends (SSE: the error event with `reason`
   * at an event boundary, then the close; other bodies are cut; requests still waiting for
   * upstream are answered with a 502 saying `reason`), aborts their upstream requests, and
   * resolves once each has settled (and been metered). For what outlives a shutdown's drain.
   */
  endStreams(reason: string): Promise<void> {
    const ended = new GatehouseError('upstream_unreachable', reason);
    this.ended = ended;
    for (const flight of this.flights) {
      flight.endedBy = ended;
      flight.fail(ended);
      flight.abort.abort();
    }
    if (this.flights.size === 0) return Promise.resolve();
    // setImmediate: after the callers' own settling (their usage rows) has run.
    return new Promise((resolve) => this.waiters.push(() => setImmediate(resolve)));
  }

  async close(): Promise<void> {
    await Promise.all([...this.pools.values()].map((p) => p.close().catch(() => p.destroy())));
  }
}

/** What ends a stream that failed after it began: upstream went silent (bodyTimeout) or away. */
function midStreamFailure(err: unknown): GatehouseError {
  if ((err as { code?: string })?.code === 'UND_ERR_BODY_TIMEOUT') {
    return new GatehouseError('upstream_timeout', 'the upstream provider stopped sending mid-stream', { cause: err });
  }
  return new GatehouseError('upstream_unreachable', 'the upstream connection was lost mid-stream', { cause: err });
}

function upstreamFailure(err: unknown): GatehouseError {
  const code = (err as { code?: string })?.code ?? '';
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT') {
    return new GatehouseError('upstream_timeout', 'the upstream provider did not answer in time', { cause: err });
  }
  return new GatehouseError('upstream_unreachable', 'the upstream provider could not be reached', { cause: err });
}

function without(headers: IncomingHttpHeaders, hidden: ReadonlySet<string>): IncomingHttpHeaders {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !hidden.has(name)));
}
