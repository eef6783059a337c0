// Forwarding: one keep-alive undici pool per upstream origin; the response streams back as it
// arrives (never buffered); a client that leaves aborts the upstream request; quiet SSE streams
// get keep-alive comments, only between events.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Pool } from 'undici';
import { GatehouseError } from '../errors.js';
import { sseErrorEvent, type ErrorStyle } from '../providers/provider.js';
import { clientHeaders } from './headers.js';
import { Abort, relay } from './relay.js';

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
  /** Learns the response's content type before the first chunk (metering hooks in here). */
  onStart?: (contentType: string | undefined) => void;
  /** Sees every upstream chunk, after what it became was written to the client. */
  tap?: (chunk: Buffer) => void;
  /** Rewrites the stream on its way to the client (whole events only); undefined: untouched. */
  rewrite?: { push(chunk: Buffer): Buffer; end(): Buffer };
}

export interface ForwardOutcome {
  status: number;
  /** The client saw the whole response (no disconnect, no upstream failure). */
  complete: boolean;
  firstByteMs?: number;
}

export class Forwarder {
  private readonly pools = new Map<string, Pool>();

  constructor(
    private readonly keepaliveMs: number,
    private readonly timeoutMs: number,
  ) {}

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
    const started = performance.now();
    const abort = new Abort();
    const onClientGone = () => {
      if (!f.res.writableFinished) abort.abort();
    };
    f.res.once('close', onClientGone);
    let upstream;
    try {
      upstream = await this.pool(f.origin).request({ path: f.path, method: (f.req.method ?? 'GET') as 'GET', headers: f.headers, body: f.body, signal: abort });
    } catch (err) {
      f.res.off('close', onClientGone);
      if (abort.aborted) return { status: 499, complete: false };
      throw upstreamFailure(err);
    }
    const contentType = upstream.headers['content-type'] as string | undefined;
    const isSse = /text\/event-stream/i.test(contentType ?? '');
    const rewrite = isSse && upstream.statusCode < 300 ? f.rewrite : undefined;
    f.onStart?.(contentType);
    f.res.writeHead(upstream.statusCode, clientHeaders(upstream.headers));
    // A stream's headers go out at once (its first event may be long coming); a body of known
    // length carries them in its first write, saving a packet.
    if (isSse || upstream.headers['content-length'] === undefined) f.res.flushHeaders();
    const outcome: ForwardOutcome = { status: upstream.statusCode, complete: false };
    const keepalive = isSse ? new SseKeepalive(f.res, this.keepaliveMs) : undefined;
    try {
      await relay(upstream.body, f.res, (chunk) => {
        outcome.firstByteMs ??= performance.now() - started;
        const out = rewrite ? rewrite.push(chunk) : chunk;
        let more = true;
        if (out.length) {
          keepalive?.saw(out);
          more = f.res.write(out);
        }
        f.tap?.(chunk);
        return more;
      });
      outcome.complete = !abort.aborted;
      f.res.end(rewrite?.end());
    } catch (err) {
      if (!abort.aborted && isSse && keepalive?.atBoundary && !f.res.destroyed) {
        // Once streaming has begun, report as the provider would: an SSE error event, then close.
        f.res.end(sseErrorEvent(f.style, { status: 502, code: 'upstream_unreachable', message: 'the upstream connection was lost mid-stream' }));
      } else {
        f.res.destroy();
      }
      void err;
    } finally {
      keepalive?.stop();
      f.res.off('close', onClientGone);
    }
    return outcome;
  }

  async close(): Promise<void> {
    await Promise.all([...this.pools.values()].map((p) => p.close().catch(() => p.destroy())));
  }
}

function upstreamFailure(err: unknown): GatehouseError {
  const code = (err as { code?: string })?.code ?? '';
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT') {
    return new GatehouseError('upstream_timeout', 'the upstream provider did not answer in time', { cause: err });
  }
  return new GatehouseError('upstream_unreachable', 'the upstream provider could not be reached', { cause: err });
}

/** Writes ": keep-alive" comments after `quietMs` without upstream bytes, only between events. */
class SseKeepalive {
  atBoundary = true;
  private tail = '';
  private timer: NodeJS.Timeout;

  constructor(
    private readonly res: ServerResponse,
    private readonly quietMs: number,
  ) {
    this.timer = setTimeout(() => this.tick(), quietMs);
  }

  saw(chunk: Buffer): void {
    this.tail = (this.tail + chunk.toString('latin1', Math.max(0, chunk.length - 4))).slice(-4);
    this.atBoundary = this.tail.endsWith('\n\n') || this.tail.endsWith('\r\n\r\n');
    this.timer.refresh();
  }

  private tick(): void {
    if (this.atBoundary && !this.res.destroyed) this.res.write(': keep-alive\n\n');
    this.timer = setTimeout(() => this.tick(), this.quietMs);
  }

  stop(): void {
    clearTimeout(this.timer);
  }
}
