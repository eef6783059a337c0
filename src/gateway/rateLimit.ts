// The gateway side of the rate limits: admit the identified caller before anything is read,
// reserved or sent upstream, report the budget in the headers OpenAI-compatible clients read, and
// free the in-flight slot when the response ends, however it ends (completed, client gone,
// upstream failure, refusal): the response's 'close' event covers them all.
import type { ServerResponse } from 'node:http';
import type { RateLimits } from '../core/rateLimits.js';
import type { Admission, RequestBudget } from '../core/rateLimiter.js';
import { GatehouseError } from '../errors.js';
import type { Caller } from './caller.js';

export async function admitCaller(limits: RateLimits, caller: Caller, res: ServerResponse): Promise<void> {
  const admission = await limits.admit(caller.userId, caller.apiKey?.id);
  setBudgetHeaders(res, admission.budget);
  if (!admission.ok) {
    for (const [name, value] of Object.entries(retryHeaders(admission.retryAfterMs))) res.setHeader(name, value);
    throw new GatehouseError('rate_limited', refusal(admission, caller));
  }
  // The client may have gone while the limits were read: 'close' has then already fired.
  if (res.destroyed) admission.release();
  else res.once('close', admission.release);
}

/** Both SDKs read retry-after-ms first (exact), then retry-after (whole seconds); Codex reads them from an error frame's `headers`. */
export function retryHeaders(retryAfterMs: number): Record<string, string> {
  return { 'retry-after': String(Math.max(1, Math.ceil(retryAfterMs / 1000))), 'retry-after-ms': String(retryAfterMs) };
}

export type SocketAdmission = { ok: true; release: () => void } | { ok: false; error: GatehouseError; headers: Record<string, string> };

/**
 * Admits one request that has no HTTP response of its own (a WebSocket upgrade, a turn on one):
 * the function that frees its in-flight slot, or the 429 to render with the headers HTTP would send.
 */
export async function admitWithoutResponse(limits: RateLimits, caller: Caller): Promise<SocketAdmission> {
  const admission = await limits.admit(caller.userId, caller.apiKey?.id);
  if (!admission.ok) return { ok: false, error: new GatehouseError('rate_limited', refusal(admission, caller)), headers: retryHeaders(admission.retryAfterMs) };
  return admission;
}

/** OpenAI's names and formats; an upstream's own x-ratelimit-* headers, when it sends them, win. */
function setBudgetHeaders(res: ServerResponse, b: RequestBudget): void {
  res.setHeader('x-ratelimit-limit-requests', String(b.limit));
  res.setHeader('x-ratelimit-remaining-requests', String(b.remaining));
  res.setHeader('x-ratelimit-reset-requests', goDuration(b.resetMs));
}

function refusal(a: Extract<Admission, { ok: false }>, caller: Caller): string {
  const who = a.scope === 'key' && caller.apiKey ? `API key "${caller.apiKey.name}"` : 'your account';
  const requests = `${a.limit} request${a.limit === 1 ? '' : 's'}`;
  if (a.reason === 'concurrent') {
    return `concurrency limit reached: ${requests} in flight at once for ${who} (a stream counts until it ends); retry when one finishes`;
  }
  return `rate limit reached: ${requests} per minute for ${who}; retry in ${goDuration(a.retryAfterMs)}`;
}

/** A duration as OpenAI writes it (Go's time.Duration): 250ms, 1.5s, 6m0s, 1h0m0s. */
export function goDuration(ms: number): string {
  ms = Math.max(0, Math.ceil(ms));
  if (ms < 1000) return `${ms}ms`;
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const s = `${Number(((ms % 60_000) / 1000).toFixed(3))}s`;
  if (h) return `${h}h${m}m${s}`;
  return m ? `${m}m${s}` : s;
}
