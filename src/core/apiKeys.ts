// Gateway API keys for clients outside VMs: "gk_" + 40 base62 characters from a CSPRNG, shown
// once; stored as an HMAC under a pepper derived from the secret key, so a stolen database
// cannot be used to recognise or forge keys.
import crypto from 'node:crypto';
import { GatehouseError } from '../errors.js';

const BASE62 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
export const API_KEY_PATTERN = /^gk_[A-Za-z0-9]{40}$/;

export function generateApiKey(): string {
  let out = 'gk_';
  while (out.length < 43) {
    for (const byte of crypto.randomBytes(48)) {
      // 248 = 4 × 62: rejecting larger bytes keeps every character equally likely.
      if (byte < 248 && out.length < 43) out += BASE62[byte % 62];
    }
  }
  return out;
}

/** What `keys list` shows to recognise a key: its first characters. */
export function displayPrefix(key: string): string {
  return key.slice(0, 9);
}

/** Parses --expires: 30d, 12h, 90m, an ISO date (end of that day, UTC) or never. */
export function parseExpiry(text: string, now = new Date()): string | null {
  const t = text.trim().toLowerCase();
  if (t === 'never') return null;
  const rel = /^(\d{1,5})([mhdw])$/.exec(t);
  if (rel) {
    const ms = Number(rel[1]) * { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 }[rel[2] as 'm' | 'h' | 'd' | 'w'];
    if (ms <= 0) throw new GatehouseError('invalid_input', '--expires must be in the future');
    return new Date(now.getTime() + ms).toISOString();
  }
  if (/^\d{4}-\d{2}-\d{2}$/.test(t)) {
    const end = new Date(`${t}T23:59:59.999Z`);
    if (Number.isNaN(end.getTime()) || end.toISOString().slice(0, 10) !== t) throw new GatehouseError('invalid_input', `invalid date "${text}"`);
    if (end <= now) throw new GatehouseError('invalid_input', `--expires ${text} is in the past`);
    return end.toISOString();
  }
  throw new GatehouseError('invalid_input', `invalid --expires "${text}": use 30d, 12h, a date like 2027-01-31, or never`);
}

/** The gatehouse key a request carries, if any: Bearer, x-api-key or x-goog-api-key. */
export function presentedKey(headers: Record<string, string | string[] | undefined>): string | undefined {
  const auth = headers.authorization;
  // The auth scheme is case-insensitive (RFC 9110 §11.1): "bearer gk_…" is a key too, not a VM call.
  const bearer = typeof auth === 'string' ? /^bearer +(gk_.*)$/is.exec(auth) : null;
  if (bearer) return bearer[1].trim();
  for (const name of ['x-api-key', 'x-goog-api-key']) {
    const v = headers[name];
    if (typeof v === 'string' && v.startsWith('gk_')) return v.trim();
  }
  return undefined;
}
