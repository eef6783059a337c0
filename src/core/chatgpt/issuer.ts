// The ChatGPT sign-in issuer (auth.openai.com), spoken as Codex speaks it (codex-rs/login):
// device code in three steps, the code exchange, refresh and revoke. Plain fetch, one call per
// function; the caller loops and decides. Error bodies are never logged or repeated (they may
// echo a token): only the status and the error code are read.
import { GatehouseError } from '../../errors.js';

export interface IssuerConfig {
  issuer: string;
  clientId: string;
}

/** Step 1's answer. `deviceAuthId` and `userCode` stay in memory; only the code is shown. */
export interface UserCode {
  deviceAuthId: string;
  userCode: string;
  /** Seconds between polls (the issuer sends a string; 0 when missing). */
  intervalS: number;
  /** Where the user enters the code: {issuer}/codex/device. */
  verificationUrl: string;
}

/** Step 2's answer once the user approved: what the code exchange needs. */
export interface DeviceGrant {
  authorizationCode: string;
  codeVerifier: string;
}

/** Tokens from the code exchange (all three) or a refresh (any of them). */
export interface IssuedTokens {
  idToken?: string;
  accessToken: string;
  refreshToken: string;
  /** Seconds, when the issuer says. */
  expiresIn?: number;
}

/** A refresh always brings an access token; the rest may be missing (the old refresh token stays). */
export type RefreshedTokens = Partial<IssuedTokens> & { accessToken: string };

/**
 * A refresh that did not give tokens. Permanent (401, or refresh_token_expired|reused|invalidated):
 * the account needs a new login. Transient (5xx, network, timeout): try again later.
 */
export type RefreshResult = { ok: true; tokens: RefreshedTokens } | { ok: false; permanent: boolean; reason: string };

const CALL_TIMEOUT_MS = 15_000;
const REVOKE_TIMEOUT_MS = 10_000;
const MAX_ANSWER_BYTES = 256 * 1024;
const PERMANENT = ['refresh_token_expired', 'refresh_token_reused', 'refresh_token_invalidated'];

function signalFor(signal: AbortSignal | undefined, timeoutMs: number): AbortSignal {
  const timeout = AbortSignal.timeout(timeoutMs);
  return signal ? AbortSignal.any([signal, timeout]) : timeout;
}

/** One POST; network failures become GatehouseErrors (cancelled: the caller's signal aborted). */
async function post(url: string, body: string, contentType: string, signal: AbortSignal | undefined, timeoutMs = CALL_TIMEOUT_MS): Promise<{ status: number; json: any }> {
  let res: Response;
  try {
    res = await fetch(url, { method: 'POST', headers: { 'content-type': contentType, accept: 'application/json' }, body, signal: signalFor(signal, timeoutMs), redirect: 'error' });
  } catch (cause) {
    throw failure(signal, cause);
  }
  const raw = await readCapped(res, signal);
  let json: any;
  try {
    json = JSON.parse(raw);
  } catch {
    json = undefined;
  }
  return { status: res.status, json };
}

/** The answer's text, or '' beyond MAX_ANSWER_BYTES (read no further: an issuer answer is small). */
async function readCapped(res: Response, signal: AbortSignal | undefined): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of res.body ?? []) {
      size += chunk.byteLength;
      if (size > MAX_ANSWER_BYTES) {
        await res.body?.cancel().catch(() => {});
        return '';
      }
      chunks.push(Buffer.from(chunk));
    }
  } catch (cause) {
    throw failure(signal, cause);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** The caller's abort reason when it is a GatehouseError (the SSH layer's "cancelled"), else unreachable. */
function failure(signal: AbortSignal | undefined, cause: unknown): GatehouseError {
  if (signal?.aborted) return signal.reason instanceof GatehouseError ? signal.reason : new GatehouseError('request_timeout', 'cancelled', { cause });
  return new GatehouseError('upstream_unreachable', 'ChatGPT sign-in is unreachable; retry shortly', { cause });
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 && value.length <= 16 * 1024 ? value : undefined;
}

/** POST {issuer}/api/accounts/deviceauth/usercode. 404: device login is disabled for the account or server. */
export async function requestUserCode(cfg: IssuerConfig, signal?: AbortSignal): Promise<UserCode> {
  const { status, json } = await post(`${cfg.issuer}/api/accounts/deviceauth/usercode`, JSON.stringify({ client_id: cfg.clientId }), 'application/json', signal);
  if (status === 404) {
    throw new GatehouseError('not_configured', 'device code login is not enabled for this ChatGPT account; enable it in ChatGPT settings (Security → device code) or ask the operator');
  }
  if (status < 200 || status > 299) throw new GatehouseError('upstream_unreachable', `ChatGPT device code request failed with status ${status}`);
  const userCode = str(json?.user_code) ?? str(json?.usercode);
  const deviceAuthId = str(json?.device_auth_id);
  if (!userCode || !deviceAuthId || userCode.length > 64) throw new GatehouseError('upstream_unreachable', 'ChatGPT device code request returned an unexpected answer');
  const interval = Number(typeof json.interval === 'string' ? json.interval.trim() : (json.interval ?? 0));
  return { deviceAuthId, userCode, intervalS: Number.isFinite(interval) && interval > 0 ? Math.min(interval, 60) : 0, verificationUrl: `${cfg.issuer}/codex/device` };
}

/** One poll of POST {issuer}/api/accounts/deviceauth/token: 'pending' on 403/404 (not yet approved). */
export async function pollToken(cfg: IssuerConfig, code: UserCode, signal?: AbortSignal): Promise<DeviceGrant | 'pending'> {
  const body = JSON.stringify({ device_auth_id: code.deviceAuthId, user_code: code.userCode });
  const { status, json } = await post(`${cfg.issuer}/api/accounts/deviceauth/token`, body, 'application/json', signal);
  if (status === 403 || status === 404) return 'pending';
  if (status < 200 || status > 299) throw new GatehouseError('forbidden', `ChatGPT sign-in was not approved (status ${status}); run the command again to get a new code`);
  const authorizationCode = str(json?.authorization_code);
  const codeVerifier = str(json?.code_verifier);
  if (!authorizationCode || !codeVerifier) throw new GatehouseError('upstream_unreachable', 'ChatGPT sign-in returned an unexpected answer');
  return { authorizationCode, codeVerifier };
}

/**
 * Polls every max(interval, 1) s until approved, `timeoutMs` passed (request_timeout), or `signal`
 * aborted (request_timeout "cancelled"). Each wait wakes early on the signal.
 */
export async function awaitApproval(cfg: IssuerConfig, code: UserCode, options: { timeoutMs: number; signal?: AbortSignal }): Promise<DeviceGrant> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    const left = deadline - Date.now();
    if (left <= 0) throw new GatehouseError('request_timeout', `ChatGPT sign-in timed out after ${Math.round(options.timeoutMs / 60_000) || 1} minutes; run the command again`);
    const grant = await pollToken(cfg, code, options.signal);
    if (grant !== 'pending') return grant;
    await waitFor(Math.min(Math.max(code.intervalS, 1) * 1000, Math.max(deadline - Date.now(), 0)), options.signal);
  }
}

function waitFor(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(failure(signal, undefined));
    const onAbort = () => {
      clearTimeout(timer);
      reject(failure(signal, undefined));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** POST {issuer}/oauth/token, form-encoded authorization_code grant (redirect_uri {issuer}/deviceauth/callback). */
export async function exchangeCode(cfg: IssuerConfig, grant: DeviceGrant, signal?: AbortSignal): Promise<IssuedTokens> {
  const form = new URLSearchParams({
    grant_type: 'authorization_code',
    code: grant.authorizationCode,
    redirect_uri: `${cfg.issuer}/deviceauth/callback`,
    client_id: cfg.clientId,
    code_verifier: grant.codeVerifier,
  });
  const { status, json } = await post(`${cfg.issuer}/oauth/token`, form.toString(), 'application/x-www-form-urlencoded', signal);
  if (status < 200 || status > 299) throw new GatehouseError('upstream_unreachable', `ChatGPT sign-in: the code exchange failed with status ${status}${errorCode(json) ? ` (${errorCode(json)})` : ''}`);
  const idToken = str(json?.id_token);
  const accessToken = str(json?.access_token);
  const refreshToken = str(json?.refresh_token);
  if (!idToken || !accessToken || !refreshToken) throw new GatehouseError('upstream_unreachable', 'ChatGPT sign-in: the code exchange returned an unexpected answer');
  return { idToken, accessToken, refreshToken, expiresIn: expiresIn(json?.expires_in) };
}

/** POST {issuer}/oauth/token, JSON refresh_token grant; classified as Codex does (manager.rs). Never throws. */
export async function refresh(cfg: IssuerConfig, refreshToken: string, signal?: AbortSignal): Promise<RefreshResult> {
  let answer: { status: number; json: any };
  try {
    answer = await post(`${cfg.issuer}/oauth/token`, JSON.stringify({ client_id: cfg.clientId, grant_type: 'refresh_token', refresh_token: refreshToken }), 'application/json', signal);
  } catch (err) {
    return { ok: false, permanent: false, reason: signal?.aborted ? 'cancelled' : 'unreachable' };
  }
  const { status, json } = answer;
  if (status >= 200 && status <= 299) {
    // A 2xx without an access token ({}, an HTML page, a body over the cap) refreshed nothing: taken
    // as a success it would store the expired token again as a new generation (issue 13 review 2).
    const accessToken = str(json?.access_token);
    if (!accessToken) return { ok: false, permanent: false, reason: 'unexpected answer' };
    return { ok: true, tokens: { idToken: str(json?.id_token), accessToken, refreshToken: str(json?.refresh_token), expiresIn: expiresIn(json?.expires_in) } };
  }
  const code = errorCode(json);
  if (code && PERMANENT.includes(code)) return { ok: false, permanent: true, reason: code };
  if (status === 401) return { ok: false, permanent: true, reason: code ?? 'unauthorized' };
  return { ok: false, permanent: false, reason: `status ${status}` };
}

/** POST {issuer}/oauth/revoke, best effort (10 s): never throws. */
export async function revoke(cfg: IssuerConfig, refreshToken: string, signal?: AbortSignal): Promise<boolean> {
  try {
    const body = JSON.stringify({ token: refreshToken, token_type_hint: 'refresh_token', client_id: cfg.clientId });
    const { status } = await post(`${cfg.issuer}/oauth/revoke`, body, 'application/json', signal, REVOKE_TIMEOUT_MS);
    return status >= 200 && status <= 299;
  } catch {
    return false;
  }
}

/** The error code of `{"error":{"code":X}}`, `{"error":"X"}` or `{"code":X}`, if short and plain. */
function errorCode(json: any): string | undefined {
  const code = typeof json?.error === 'string' ? json.error : (json?.error?.code ?? json?.code);
  return typeof code === 'string' && /^[a-z0-9_.-]{1,64}$/i.test(code) ? code : undefined;
}

/** Above this (about 3 years) expires_in is nonsense: treated as unknown, not turned into a date. */
const MAX_EXPIRES_IN_S = 1e8;

function expiresIn(value: unknown): number | undefined {
  const n = typeof value === 'string' ? Number(value) : value;
  // an absurd value (1e300) would make an invalid Date and throw after the token was rotated (review 3)
  return typeof n === 'number' && Number.isFinite(n) && n > 0 && n <= MAX_EXPIRES_IN_S ? n : undefined;
}
