// The web listener (issue 17): its own node:http server on its own address, apart from the
// gateway's. Requests are small (no route reads a body beyond a form's few fields), slow ones are
// cut, and an unknown path or method is a plain 404/405 page.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ListenAddress } from '../config.js';
import { GatehouseError } from '../errors.js';
import { html } from './respond.js';
import type { WebContext, WebDeps, WebRoute, WebSession } from './types.js';

export interface WebServer {
  port: number;
  close(): Promise<void>;
}

/** How a request's session is found (src/web/auth): undefined for none, or one expired or unknown. */
export type SessionLookup = (ctx: Omit<WebContext, 'session'>) => Promise<WebSession | undefined>;
/** The answer for a 'session' route visited without a session (the sign-in page). */
export type SignInPage = (ctx: WebContext) => Promise<void>;

const TIMEOUT_MS = 10_000;
const MAX_CONNECTIONS = 256;
const MAX_URL = 2048;

export async function startWebServer(listen: ListenAddress, deps: WebDeps, routes: WebRoute[], auth: { session: SessionLookup; signIn: SignInPage }): Promise<WebServer> {
  const byKey = new Map(routes.map((r) => [`${r.method} ${r.path}`, r]));
  const paths = new Set(routes.map((r) => r.path));
  const secure = () => deps.publicUrl().startsWith('https://');
  const server = http.createServer({ headersTimeout: TIMEOUT_MS, requestTimeout: TIMEOUT_MS, maxHeaderSize: 16 * 1024 }, (req, res) => {
    answer(req, res).catch((err) => {
      const known = err instanceof GatehouseError && err.httpStatus < 500;
      if (!known) deps.log.error('web: answering failed', err, { path: (req.url ?? '').split('?')[0].slice(0, 64) });
      if (res.headersSent) return void res.destroy();
      html(res, known ? err.httpStatus : 500, page(known ? err.message : 'Something went wrong on our side; try again.'));
    });
  });

  async function answer(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    if ((req.url ?? '').length > MAX_URL) throw new GatehouseError('too_large', 'That address is too long.');
    const url = new URL(req.url ?? '/', 'http://web.invalid');
    const method = req.method === 'HEAD' ? 'GET' : req.method ?? 'GET';
    const route = byKey.get(`${method} ${url.pathname}`);
    if (!route) {
      req.resume();
      if (paths.has(url.pathname)) return html(res, 405, page('That method is not allowed here.'), { allow: routes.filter((r) => r.path === url.pathname).map((r) => r.method).join(', ') });
      return html(res, 404, page('No such page.'));
    }
    const base = { req, res, deps, url, secure: secure() };
    const ctx: WebContext = { ...base, session: await auth.session(base) };
    if (route.auth === 'session' && !ctx.session) return auth.signIn(ctx);
    await route.handle(ctx);
  }

  server.maxConnections = MAX_CONNECTIONS;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => reject(new GatehouseError('config', `GATEHOUSE_WEB_LISTEN: cannot listen on ${listen.host}:${listen.port} (${err.code ?? err.message})`, { cause: err })));
    server.listen(listen.port, listen.host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}

/** A bare page for errors; the pages themselves use src/web/pages' layout. */
function page(message: string): string {
  const text = message.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  return `<!doctype html><html lang="en"><meta charset="utf-8"><title>gatehouse</title><p>${text}</p></html>`;
}
