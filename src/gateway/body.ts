// Reads a request body up to the configured limit. Oversized bodies are refused with 413 as soon
// as Content-Length (or the running count) says so, without reading the rest; a body that stops
// arriving is refused with 408 (a slow client holds a connection, never the process, for long).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { GatehouseError } from '../errors.js';

const EMPTY = Buffer.alloc(0);

/**
 * What the listener (server.ts) gives its requests, on their prototype so it costs nothing per
 * request: every reader of a body is bounded without threading settings through each route.
 */
export interface BodyBounds {
  /** The longest silence allowed between two chunks of the body (and before the first). */
  readonly bodyIdleMs?: number;
  /** The request's response: when the body stalls, its connection must not be reused (the rest may still come). */
  readonly response?: ServerResponse;
}

export function readBody(req: IncomingMessage, limit: number, idleMs = (req as BodyBounds).bodyIdleMs): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? NaN);
  const tooLarge = () => new GatehouseError('too_large', `request body is larger than ${limit} bytes`);
  if (declared > limit) return Promise.reject(tooLarge());
  if (declared === 0 || (req.method === 'GET' && !req.headers['transfer-encoding'])) return Promise.resolve(EMPTY);
  const prematureClose = () => Object.assign(new Error('Premature close'), { code: 'ERR_STREAM_PREMATURE_CLOSE' });
  // Gone before we started reading (the client left while the caller was identified).
  if (req.destroyed) return Promise.reject(req.errored ?? prematureClose());
  // Plain listeners rather than `for await`: the async iterator cost measurable CPU per request.
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const stalled = () => {
      const res = (req as BodyBounds).response;
      if (res) res.shouldKeepAlive = false; // the 408 says `connection: close` and closes it
      done(new GatehouseError('request_timeout', `the request body stalled: no bytes for ${idleMs! / 1000} s`));
    };
    const timer = idleMs ? setTimeout(stalled, idleMs) : undefined;
    const done = (err?: Error) => {
      clearTimeout(timer);
      req.off('data', onData).off('end', onEnd).off('error', done).off('close', onClose);
      if (err) reject(err);
      else resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size));
    };
    const onData = (chunk: Buffer) => {
      timer?.refresh();
      size += chunk.length;
      if (size <= limit) return void chunks.push(chunk);
      // The rest of the upload flows on to no listener and is dropped; the 413 closes the
      // connection. (Destroying req here would take the socket, and the 413, with it.)
      done(tooLarge());
    };
    const onEnd = () => done();
    const onClose = () => done(prematureClose());
    req.on('data', onData).on('end', onEnd).on('error', done).on('close', onClose);
  });
}

/** The JSON object of a body when it claims to be JSON; malformed JSON is the client's error. */
export function parseJsonBody(body: Buffer, contentType: string | undefined): Record<string, unknown> | undefined {
  if (body.length === 0) return undefined;
  if (contentType && !/json/i.test(contentType)) return undefined;
  try {
    const value = JSON.parse(body.toString('utf8'));
    return value && typeof value === 'object' && !Array.isArray(value) ? value : undefined;
  } catch {
    throw new GatehouseError('invalid_input', 'request body is not valid JSON');
  }
}
