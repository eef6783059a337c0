// The request target, checked before anything else: the gateway is never an open proxy, so
// absolute-form targets, dot segments and encoded slashes that could climb out of a provider's
// base path are refused outright, and the client's key= query parameter is dropped.
import { GatehouseError } from '../errors.js';

export interface Target {
  pathname: string;
  /** The query to forward ("" or "?…"), with any key= parameter removed. */
  search: string;
}

const FORBIDDEN = /%2e|%2f|%5c|\\/i;
/** A "." or ".." path segment; one regex rather than splitting every path into an array. */
const DOT_SEGMENT = /(?:^|\/)\.\.?(?:\/|$)/;

export function parseTarget(raw: string | undefined): Target {
  const target = raw ?? '';
  if (!target.startsWith('/') || target.startsWith('//')) throw new GatehouseError('invalid_input', 'request target must be a path such as /v1/messages');
  const q = target.indexOf('?');
  const pathname = q === -1 ? target : target.slice(0, q);
  if (FORBIDDEN.test(pathname) || DOT_SEGMENT.test(pathname)) {
    throw new GatehouseError('invalid_input', 'request path must not contain dot segments or encoded slashes');
  }
  return { pathname, search: q === -1 ? '' : withoutKey(target.slice(q + 1)) };
}

function withoutKey(query: string): string {
  if (!/(^|&)key=/.test(query)) return query ? `?${query}` : '';
  const kept = query.split('&').filter((p) => !p.startsWith('key='));
  return kept.length ? `?${kept.join('&')}` : '';
}
