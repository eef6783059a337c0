// The gateway's error boundary: every refusal is rendered in the wire shape the caller's SDK
// parses, whether it leaves through node:http (sendError) or straight onto a socket that node:http
// will not answer for us (rawError). Anything that is not a GatehouseError is a bug: logged,
// answered as a generic 500.
import { randomUUID } from 'node:crypto';
import { STATUS_CODES, type ServerResponse } from 'node:http';
import { PROVIDER_IDS, type ProviderId } from '../config.js';
import { asPublicError, type GatehouseError } from '../errors.js';
import type { Log } from '../log.js';
import { providers } from '../providers/index.js';
import { errorBody, type ErrorStyle, type PublicError } from '../providers/provider.js';
import { lingerAfter } from './linger.js';

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
  let headers: Record<string, string> = {};
  if (pub.code === 'too_large') {
    // The rest of the upload is unread: never reuse the connection, and close it so that the
    // client, still sending, can read this answer (see linger.ts).
    headers = { connection: 'close' };
    lingerAfter(res);
  }
  sendJson(res, pub.httpStatus, errorBody(style, publicError(pub)), headers);
}

/** What the renderers need of an error; `status` overrides the code table's (431, 408 on raw sockets). */
export function publicError(err: GatehouseError, status = err.httpStatus): PublicError {
  return { status, code: err.code, message: err.message };
}

/**
 * A complete answer for a socket node:http does not answer for us (upgrades, bytes that are not
 * HTTP), closing the connection. Every answer carries a request id (DESIGN.md §4 "Forwarding").
 */
export function rawError(style: ErrorStyle, err: GatehouseError, status = err.httpStatus, requestId: string = randomUUID()): string {
  const body = JSON.stringify(errorBody(style, publicError(err, status)));
  const head = `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}`;
  return `${head}\r\nx-gatehouse-request-id: ${requestId}\r\nconnection: close\r\n\r\n${body}`;
}

const META = /^\/gateway\/[^/]+(\/.*)$/;
const PROVIDER_PREFIX = /^\/([a-z]+)(\/.*)$/;

/**
 * The one choice of error shape for a request, from its target alone: every route names its API
 * in its path. The API's words win (a Claude model on /v1/chat/completions is answered as OpenAI,
 * whoever serves it); a provider named in the path (/gateway/INTEGRATION/PROVIDER/…,
 * /PROVIDER/… on an integration hostname) gives its native shape to the rest; then Gemini's
 * native paths; else OpenAI's.
 */
export function styleFor(target: string): ErrorStyle {
  // The query (?beta=true, ?alt=sse) must not hide the path.
  const q = target.indexOf('?');
  let path = q === -1 ? target : target.slice(0, q);
  path = META.exec(path)?.[1] ?? path;
  const prefixed = PROVIDER_PREFIX.exec(path);
  const provider = prefixed && PROVIDER_IDS.includes(prefixed[1] as ProviderId) ? providers[prefixed[1] as ProviderId] : undefined;
  if (provider) path = prefixed![2];
  if (/\/messages(\/|$)/.test(path)) return 'anthropic';
  if (/\/responses$/.test(path)) return 'responses';
  if (/\/(chat\/completions|completions|embeddings)$/.test(path)) return 'openai';
  if (provider) return provider.errorStyle;
  if (/^\/v1beta\/|:[a-zA-Z]+$/.test(path)) return 'gemini';
  return 'openai';
}
