// Signing in and out (issue 17). GET /auth/verify uses a one-time link from `browser` and starts a
// session; POST /logout ends it, and only when the form carries the session's CSRF token and, when
// the browser says where the form came from, it came from this origin.
import type { IncomingMessage } from 'node:http';
import { sameSecret } from '../core/webSignIn.js';
import { readForm } from './form.js';
import { esc, html, json, redirect } from './respond.js';
import { authPage, clearedCookie, howToSignIn, logoutForm, sessionCookie, sessionIdOf } from './session.js';
import type { WebContext, WebRoute } from './types.js';

const REFUSED = {
  malformed: { status: 400, title: 'This link is not valid', why: 'This address does not hold a sign-in link: it may have been cut short when it was copied.' },
  unknown: { status: 400, title: 'This link is not valid', why: 'No sign-in link like this one was ever made here.' },
  used: { status: 410, title: 'This link was already used', why: 'A sign-in link works once, and this one has been used.' },
  expired: { status: 410, title: 'This link has expired', why: 'A sign-in link works for 15 minutes, and this one is older.' },
} as const;

export const verifyRoute: WebRoute = {
  method: 'GET',
  path: '/auth/verify',
  auth: 'public',
  async handle(ctx) {
    // A HEAD (a link preview, a checker) must not spend the link the user is about to open.
    if (ctx.req.method === 'HEAD') return html(ctx.res, 200, authPage('Sign in', ['Open this link in a browser to sign in.']));
    const redeemed = await ctx.deps.services.web.redeem(ctx.url.searchParams.get('token') ?? '');
    if (!redeemed.ok) {
      const r = REFUSED[redeemed.why];
      return html(ctx.res, r.status, authPage(r.title, [r.why, `No one was signed in. ${howToSignIn(ctx.deps.sshCommand())}`]));
    }
    // Whoever was signed in in this browser before is signed out: one browser, one session.
    const previous = sessionIdOf(ctx.req);
    if (previous !== undefined) await ctx.deps.services.web.end(previous);
    redirect(ctx.res, '/user', { 'set-cookie': sessionCookie(redeemed.sessionId, redeemed.expiresAt, ctx.secure) });
  },
};

export const logoutRoute: WebRoute = {
  method: 'POST',
  path: '/logout',
  auth: 'public', // no session: nothing to end, and the visitor is signed out already
  async handle(ctx) {
    if (!ctx.session) {
      ctx.req.resume();
      return redirect(ctx.res, '/signed-out', { 'set-cookie': clearedCookie(ctx.secure) });
    }
    if (!sameOrigin(ctx)) return forbidden(ctx, 'This form was sent from another site.');
    const csrf = (await readForm(ctx.req, ctx.res)).get('csrf') ?? '';
    if (!sameSecret(csrf, ctx.session.csrf)) return forbidden(ctx, 'This form is out of date or did not come from this site.');
    await ctx.deps.services.web.end(sessionIdOf(ctx.req)!);
    redirect(ctx.res, '/signed-out', { 'set-cookie': clearedCookie(ctx.secure) });
  },
};

/** A page with the Log out button, for a browser that lands on /logout (and for scripts that need the form). */
export const logoutPageRoute: WebRoute = {
  method: 'GET',
  path: '/logout',
  auth: 'session',
  async handle(ctx) {
    html(ctx.res, 200, authPage('Log out', [`You are signed in as <b>${esc(ctx.session!.user.name)}</b>.`, logoutForm(ctx.session!)]));
  },
};

export const signedOutRoute: WebRoute = {
  method: 'GET',
  path: '/signed-out',
  auth: 'public',
  async handle(ctx) {
    html(ctx.res, 200, authPage('Signed out', ['You are signed out in this browser.', `To sign in again: ${howToSignIn(ctx.deps.sshCommand())}`]));
  },
};

function forbidden(ctx: WebContext, why: string): void {
  ctx.req.resume();
  html(ctx.res, 403, authPage('Not signed out', [why, 'You are still signed in. Use the Log out button on your page.']));
}

/**
 * A browser names the page a form came from (Origin, Sec-Fetch-Site); when it does, that must be
 * this site: the public URL's origin, or the origin the browser addressed (Host) when they differ.
 */
function sameOrigin(ctx: WebContext): boolean {
  const site = header(ctx.req, 'sec-fetch-site');
  if (site !== undefined && site !== 'same-origin') return false;
  const origin = header(ctx.req, 'origin');
  if (origin === undefined) return true;
  const host = header(ctx.req, 'host');
  const own = [new URL(ctx.deps.publicUrl()).origin, ...(host ? [`${ctx.secure ? 'https' : 'http'}://${host}`] : [])];
  return own.includes(origin);
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** Who this browser is signed in as, for scripts and tests: the session's own user, never another. */
export const sessionRoute: WebRoute = {
  method: 'GET',
  path: '/auth/session',
  auth: 'session',
  async handle(ctx) {
    const s = ctx.session!;
    json(ctx.res, 200, { user: s.user.name, admin: Boolean(s.user.is_admin), expires_at: s.expiresAt });
  },
};
