// Web sign-in (issue 17): `browser` mints a one-time link, the link starts a session, the session
// cookie finds its user. Tokens and session ids are 32 random bytes (base64url); only their
// SHA-256 is stored, so a copy of the database (or a backup) opens nothing. A plain hash, not a
// peppered one: 256 random bits need no stretching and no key to be unguessable.
import crypto from 'node:crypto';
import { consumeWebLink, deleteWebSession, findWebSession, insertWebLink, insertWebSession, pruneWebAuth, webLinkState } from '../db/webAuth.js';
import type { Db } from '../db/open.js';
import type { User } from '../db/schema.js';

/** A link is typed or scanned right after `browser` prints it; longer only widens the window for a leaked one. */
export const LINK_TTL_MS = 15 * 60_000;
/**
 * A session lasts 7 days from sign-in and is never extended: long enough that someone who looks
 * at their usage during a week signs in once, short enough that a forgotten browser's cookie dies
 * by itself. A new one is one `ssh HOST browser` away, and the pages only show: nothing is changed
 * through them.
 */
export const SESSION_TTL_MS = 7 * 24 * 3600_000;

/** 32 bytes in base64url, unpadded: exactly this shape, or it is no token of ours. */
const SECRET_SHAPE = /^[A-Za-z0-9_-]{43}$/;

export interface SignedIn {
  user: User;
  csrf: string;
  expiresAt: string;
}

export type Redeemed =
  | { ok: true; sessionId: string; expiresAt: string }
  | { ok: false; why: 'malformed' | 'unknown' | 'used' | 'expired' };

export class WebSignIn {
  /**
   * @param publicUrl where users reach the web listener; undefined while it is off.
   */
  constructor(private readonly db: Db, readonly publicUrl: () => string | undefined) {}

  /** A fresh link for the user; the token is returned once and never stored. */
  async createLink(userId: number): Promise<{ token: string; expiresAt: string }> {
    const now = Date.now();
    const token = newSecret();
    const expiresAt = new Date(now + LINK_TTL_MS).toISOString();
    await pruneWebAuth(this.db, new Date(now).toISOString());
    await insertWebLink(this.db, { tokenHash: hashSecret(token), userId, createdAt: new Date(now).toISOString(), expiresAt });
    return { token, expiresAt };
  }

  /** Uses the link (once, however many requests race with it) and starts a session. */
  async redeem(token: string): Promise<Redeemed> {
    if (!SECRET_SHAPE.test(token)) return { ok: false, why: 'malformed' };
    const now = new Date();
    const hash = hashSecret(token);
    const sessionId = newSecret();
    const expiresAt = new Date(now.getTime() + SESSION_TTL_MS).toISOString();
    // One transaction: a session that cannot be stored leaves the link unused, to be opened again.
    const started = await this.db.transaction().execute(async (trx) => {
      const userId = await consumeWebLink(trx, hash, now.toISOString());
      if (userId === undefined) return false;
      await insertWebSession(trx, { sessionHash: hashSecret(sessionId), userId, csrf: newSecret(), createdAt: now.toISOString(), expiresAt });
      return true;
    });
    if (started) return { ok: true, sessionId, expiresAt };
    const state = await webLinkState(this.db, hash);
    return { ok: false, why: !state ? 'unknown' : state.used_at ? 'used' : 'expired' };
  }

  /** The session's user and CSRF token; undefined for a malformed, unknown or expired id. */
  async find(sessionId: string): Promise<SignedIn | undefined> {
    if (!SECRET_SHAPE.test(sessionId)) return undefined;
    return findWebSession(this.db, hashSecret(sessionId), new Date().toISOString());
  }

  async end(sessionId: string): Promise<void> {
    if (SECRET_SHAPE.test(sessionId)) await deleteWebSession(this.db, hashSecret(sessionId));
  }
}

function newSecret(): string {
  return crypto.randomBytes(32).toString('base64url');
}

export function hashSecret(secret: string): string {
  return crypto.createHash('sha256').update(secret).digest('hex');
}

/** Equal strings, compared in constant time (a CSRF token against the session's). */
export function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && crypto.timingSafeEqual(x, y);
}
