// The gateway's error boundary: every refusal is rendered in the wire shape the caller's SDK
// parses. Anything that is not a GatehouseError is a bug: logged, answered as a generic 500.
import type { ServerResponse } from 'node:http';
import { asPublicError } from '../errors.js';
import type { Log } from '../log.js';
import { errorBody, type ErrorStyle } from '../providers/provider.js';

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

export function sendError(res: ServerResponse, style: ErrorStyle, err: unknown, log: Log): void {
  const pub = asPublicError(err);
  if (pub.code === 'internal') log.error('gateway request failed', err);
  if (res.headersSent) {
    res.destroy();
    return;
  }
  // After a 413 the rest of the upload is unread: close the connection rather than reuse it.
  const headers: Record<string, string> = pub.code === 'too_large' ? { connection: 'close' } : {};
  sendJson(res, pub.httpStatus, errorBody(style, { status: pub.httpStatus, code: pub.code, message: pub.message }), headers);
}

/** The error shape a path's API expects, before we know more: Anthropic, Gemini native, else OpenAI. */
export function styleForPath(target: string): ErrorStyle {
  // Callers may pass the whole request target: the query (?beta=true, ?alt=sse) must not hide the path.
  const q = target.indexOf('?');
  const pathname = q === -1 ? target : target.slice(0, q);
  if (/\/v1\/messages(\/|$)|^\/anthropic\/|^\/gateway\/[^/]+\/anthropic\//.test(pathname)) return 'anthropic';
  if (/^\/v1beta\/|:[a-zA-Z]+$|^\/gemini\/|^\/gateway\/[^/]+\/gemini\//.test(pathname)) return 'gemini';
  return 'openai';
}
