// A browser's side of web sign-in, over real HTTP (node's fetch): ask `browser` for a link over
// SSH, open it, keep the cookie. Redirects are never followed: tests look at each answer.
import assert from 'node:assert/strict';
import { exec, type KeyPair } from './ssh.js';

export interface SignedIn {
  /** `gh_session=…`, as a browser sends it back. */
  cookie: string;
  /** The session id alone (for scans of what was stored or logged). */
  sessionId: string;
  /** The Set-Cookie header as the server sent it. */
  setCookie: string;
}

/** `browser --json` over SSH: the link and its token. */
export async function magicLink(sshPort: number, key: KeyPair): Promise<{ link: string; token: string; expiresAt: string }> {
  const r = await exec(sshPort, key, 'browser --json');
  assert.equal(r.code, 0, r.stderr);
  const body = JSON.parse(r.stdout) as { magic_link: string; expires_at: string };
  const token = new URL(body.magic_link).searchParams.get('token');
  assert.ok(token);
  return { link: body.magic_link, token, expiresAt: body.expires_at };
}

/** GET without following redirects, with a deadline. */
export function get(url: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, { redirect: 'manual', headers, signal: AbortSignal.timeout(10_000) });
}

/** Opens a link as a browser would; it must sign in (303 to /user with a session cookie). */
export async function openLink(link: string): Promise<SignedIn> {
  const res = await get(link);
  await res.arrayBuffer();
  assert.equal(res.status, 303, `opening the link: ${res.status}`);
  assert.equal(res.headers.get('location'), '/user');
  const setCookie = res.headers.get('set-cookie') ?? '';
  const m = /^gh_session=([A-Za-z0-9_-]{43});/.exec(setCookie);
  assert.ok(m, `a session cookie: ${setCookie}`);
  return { cookie: `gh_session=${m[1]}`, sessionId: m[1], setCookie };
}

export async function signIn(sshPort: number, webPort: number, key: KeyPair): Promise<SignedIn> {
  const { link } = await magicLink(sshPort, key);
  assert.ok(link.startsWith(`http://127.0.0.1:${webPort}/auth/verify?token=`), link);
  return openLink(link);
}

/** Who a cookie signs in as (GET /auth/session), or the status when none. */
export async function whoIs(webPort: number, cookie: string, path = '/auth/session'): Promise<string | number> {
  const res = await get(`http://127.0.0.1:${webPort}${path}`, { cookie });
  if (res.status !== 200) {
    await res.arrayBuffer();
    return res.status;
  }
  return ((await res.json()) as { user: string }).user;
}

/** The CSRF token of the session's Log out form (GET /logout). */
export async function csrfOf(webPort: number, cookie: string): Promise<string> {
  const res = await get(`http://127.0.0.1:${webPort}/logout`, { cookie });
  const page = await res.text();
  assert.equal(res.status, 200);
  const m = /<input type="hidden" name="csrf" value="([A-Za-z0-9_-]+)">/.exec(page);
  assert.ok(m, 'the Log out form carries a csrf field');
  return m[1];
}

/** POST a form (application/x-www-form-urlencoded). */
export function postForm(url: string, fields: Record<string, string>, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(fields).toString(),
    signal: AbortSignal.timeout(10_000),
  });
}
