// Finding a request's session: the `gh_session` cookie holds a session id that `browser`'s
// one-time link started (src/web/auth.ts, src/core/webSignIn.ts). Only its hash is stored; an
// unknown, expired or malformed cookie is simply no session.
import type { IncomingMessage } from 'node:http';
import { esc, html } from './respond.js';
import type { SessionLookup, SignInPage } from './server.js';
import type { WebSession } from './types.js';

export const SESSION_COOKIE = 'gh_session';

/** Far beyond a browser's cookies for this origin; a longer header is not parsed at all. */
const MAX_COOKIE_HEADER = 8192;

export const findSession: SessionLookup = async (ctx) => {
  const id = sessionIdOf(ctx.req);
  return id === undefined ? undefined : ctx.deps.services.web.find(id);
};

/** The session id the request's cookie carries, unchecked against the store; undefined if none. */
export function sessionIdOf(req: IncomingMessage): string | undefined {
  const header = req.headers.cookie;
  if (!header || header.length > MAX_COOKIE_HEADER) return undefined;
  for (const pair of header.split(';')) {
    const at = pair.indexOf('=');
    if (at > 0 && pair.slice(0, at).trim() === SESSION_COOKIE) return pair.slice(at + 1).trim();
  }
  return undefined;
}

/** Set-Cookie for a new session: the browser sends it back to this origin only, never to scripts. */
export function sessionCookie(id: string, expiresAt: string, secure: boolean): string {
  const maxAge = Math.max(0, Math.floor((Date.parse(expiresAt) - Date.now()) / 1000));
  return `${SESSION_COOKIE}=${id}; HttpOnly; SameSite=Lax; Path=/; Max-Age=${maxAge}${secure ? '; Secure' : ''}`;
}

export function clearedCookie(secure: boolean): string {
  return `${SESSION_COOKIE}=; HttpOnly; SameSite=Lax; Path=/; Max-Age=0${secure ? '; Secure' : ''}`;
}

/** The "Log out" button for a page's layout: a POST carrying the session's CSRF token. */
export function logoutForm(session: WebSession): string {
  return `<form method="post" action="/logout" class="logout"><input type="hidden" name="csrf" value="${esc(session.csrf)}"><button type="submit">Log out</button></form>`;
}

/** A small page of the sign-in flow (sign in, link refused, signed out): a title and paragraphs of HTML. */
export function authPage(title: string, paragraphs: string[]): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${esc(title)} · gatehouse</title></head><body><main><h1>${esc(title)}</h1>${paragraphs.map((p) => `<p>${p}</p>`).join('')}</main></body></html>`;
}

/** How to get a link, in the words a user types. */
export function howToSignIn(sshCommand: string): string {
  return `Run <code>${esc(sshCommand)} browser</code> in a terminal and open the link it prints. Each link works once, for 15 minutes.`;
}

export const signInPage: SignInPage = async (ctx) => {
  // A cookie that found no session (expired, ended elsewhere) is dropped, not sent on forever.
  const stale: Record<string, string> = sessionIdOf(ctx.req) === undefined ? {} : { 'set-cookie': clearedCookie(ctx.secure) };
  html(ctx.res, 401, authPage('Sign in', ['This page needs you to be signed in.', howToSignIn(ctx.deps.sshCommand())]), stale);
};
