// The plan's usage windows, as the ChatGPT backend reports them: x-codex-primary-* and
// x-codex-secondary-* response headers (HTTP, WebSocket upgrade), or a `codex.rate_limits` frame
// (WebSocket). Parsed here; stored by accounts.ts at most every WINDOW_WRITE_MS per account.

export interface UsageWindow {
  usedPercent: number;
  windowMinutes: number | null;
  /** Unix seconds. */
  resetAt: number | null;
}

export interface Windows {
  primary: UsageWindow | null;
  secondary: UsageWindow | null;
  observedAt: string;
}

/** Response headers as node:http, undici or ws give them (lowercase names). */
export type WindowHeaders = Record<string, string | string[] | undefined>;

/** The WebSocket frame `{"type":"codex.rate_limits","rate_limits":{"primary":{…},"secondary":{…}}}`. */
export interface CodexRateLimitsEvent {
  type: 'codex.rate_limits';
  rate_limits?: { primary?: RawWindow | null; secondary?: RawWindow | null } | null;
  [key: string]: unknown;
}

interface RawWindow {
  used_percent?: unknown;
  window_minutes?: unknown;
  reset_at?: unknown;
}

/** Writes of one account's windows at most this often per instance (always on a 429). */
export const WINDOW_WRITE_MS = 30_000;

function num(value: unknown): number | null {
  const v = Array.isArray(value) ? value[0] : value;
  if (v === undefined || v === null || v === '') return null;
  const n = Number(v);
  return Number.isFinite(n) ? n : null;
}

function window(used: unknown, minutes: unknown, reset: unknown): UsageWindow | null {
  const usedPercent = num(used);
  if (usedPercent === null || usedPercent < 0 || usedPercent > 1000) return null;
  const windowMinutes = num(minutes);
  const resetAt = num(reset);
  return {
    usedPercent,
    windowMinutes: windowMinutes !== null && windowMinutes > 0 && windowMinutes < 1e7 ? Math.round(windowMinutes) : null,
    resetAt: resetAt !== null && resetAt > 0 && resetAt < 1e11 ? Math.round(resetAt) : null,
  };
}

export function isRateLimitsEvent(from: WindowHeaders | CodexRateLimitsEvent): from is CodexRateLimitsEvent {
  return (from as { type?: unknown }).type === 'codex.rate_limits';
}

/** The windows in headers or a codex.rate_limits event; null when neither window is there. */
export function parseWindows(from: WindowHeaders | CodexRateLimitsEvent, now = new Date()): Windows | null {
  let primary: UsageWindow | null;
  let secondary: UsageWindow | null;
  if (isRateLimitsEvent(from)) {
    const p = from.rate_limits?.primary;
    const s = from.rate_limits?.secondary;
    primary = p ? window(p.used_percent, p.window_minutes, p.reset_at) : null;
    secondary = s ? window(s.used_percent, s.window_minutes, s.reset_at) : null;
  } else {
    const h = (name: string) => from[`x-codex-${name}`];
    primary = window(h('primary-used-percent'), h('primary-window-minutes'), h('primary-reset-at'));
    secondary = window(h('secondary-used-percent'), h('secondary-window-minutes'), h('secondary-reset-at'));
  }
  if (!primary && !secondary) return null;
  return { primary, secondary, observedAt: now.toISOString() };
}
