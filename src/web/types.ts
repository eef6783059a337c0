// The web room's shapes (issue 17): a route is a method, a path and a handler; a handler gets the
// request's context and answers through it. Pages are server-rendered HTML; changes are made over SSH.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Config } from '../config.js';
import type { Services } from '../core/services.js';
import type { Db } from '../db/open.js';
import type { User } from '../db/schema.js';
import type { Log } from '../log.js';

/** A signed-in browser: the session's user and its CSRF token (forms carry it back). */
export interface WebSession {
  user: User;
  csrf: string;
  expiresAt: string;
}

export interface WebDeps {
  db: Db;
  config: Readonly<Config>;
  services: Services;
  log: Log;
  /** Where users reach this listener (GATEHOUSE_PUBLIC_URL, else http://HOST:PORT as bound). */
  publicUrl(): string;
  /** How users reach the SSH prompt (`ssh -p 2222 host`), for pages that say "run … browser". */
  sshCommand(): string;
}

export interface WebContext {
  req: IncomingMessage;
  res: ServerResponse;
  deps: WebDeps;
  url: URL;
  /** The signed-in session, when the request carries a valid session cookie. */
  session?: WebSession;
  /** Whether links and cookies are https (GATEHOUSE_PUBLIC_URL starts with https://). */
  secure: boolean;
}

export interface WebRoute {
  method: 'GET' | 'POST';
  /** Exact path, e.g. /models; no patterns (nothing a user sends is matched by a regex). */
  path: string;
  /** 'session': without a valid session the visitor gets the sign-in page (how to run "browser"), 401. */
  auth: 'public' | 'session';
  handle(ctx: WebContext): Promise<void>;
}
