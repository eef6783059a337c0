// Every answer of the web listener goes through here: security headers on all of them, HTML
// escaped at one place, JSON compact. The CSP allows this origin only: the machines that run
// gatehouse may have no internet, and a page must never load or send anything elsewhere.
import type { ServerResponse } from 'node:http';

export const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

const SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy': CSP,
  'x-content-type-options': 'nosniff',
  // A Referer only ever goes to this origin, so a magic link's token never leaves in one. Not
  // no-referrer: under it Chromium sends `Origin: null` with a form POST, which /logout's
  // same-origin check must refuse.
  'referrer-policy': 'same-origin',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
};

export function send(res: ServerResponse, status: number, type: string, body: string | Buffer, extra: Record<string, string | string[]> = {}): void {
  res.writeHead(status, { ...SECURITY_HEADERS, 'content-type': type, 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store', ...extra });
  res.end(res.req?.method === 'HEAD' ? undefined : body);
}

export const html = (res: ServerResponse, status: number, body: string, extra?: Record<string, string | string[]>) => send(res, status, 'text/html; charset=utf-8', body, extra);
export const json = (res: ServerResponse, status: number, value: unknown, extra?: Record<string, string | string[]>) => send(res, status, 'application/json', `${JSON.stringify(value)}\n`, extra);

export function redirect(res: ServerResponse, location: string, extra: Record<string, string | string[]> = {}): void {
  res.writeHead(303, { ...SECURITY_HEADERS, location, 'cache-control': 'no-store', 'content-length': 0, ...extra });
  res.end();
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text into HTML (element content or a quoted attribute). */
export function esc(text: unknown): string {
  return String(text ?? '').replace(/[&<>"']/g, (c) => ESCAPES[c]);
}
