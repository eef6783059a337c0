// Refreshing one account's tokens, exactly once however many callers find them stale.
// Refresh tokens are single-use (a second use revokes the login), so:
// - in this process, callers join the refresh in flight for the account (one promise per account);
// - across a fleet (PostgreSQL), the refresh runs in a transaction holding takeTurn('chatgptRefresh',
//   id), and re-reads the stored tokens first: if their generation moved past the one the caller
//   saw, someone else refreshed and those tokens are used (Codex's "guarded reload");
// - on SQLite one instance serves the file (DESIGN §8) and kysely runs transactions on its only
//   connection: holding one across a 15 s HTTP call would stall every query, so there is no
//   transaction around the call; the in-process single flight is the whole lock, and the write is
//   guarded by the generation read.
// A permanent failure marks the account needs_login (topic 'chatgpt', fleet-wide); a transient one
// writes nothing.
import { dialectOf, isForeignKeyViolation, takeTurn } from '../../db/dialect.js';
import type { Db } from '../../db/open.js';
import { chatgptAccountById, markChatgptNeedsLogin, readChatgptTokens, updateChatgptProfile, writeChatgptTokens } from '../../db/chatgptAccounts.js';
import type { ChatgptTokensRow } from '../../db/schema.js';
import type { Log } from '../../log.js';
import type { Sealer } from '../secrets.js';
import { idTokenClaims, jwtExp } from './claims.js';
import { refresh, type IssuedTokens, type IssuerConfig } from './issuer.js';

/** Tokens as held in memory (decrypted). */
export interface HeldTokens {
  access: string;
  refresh: string;
  generation: number;
  /** Access token expiry in ms since the epoch, when known. */
  expMs: number | undefined;
  refreshedAtMs: number;
}

export type Refreshed =
  | { kind: 'fresh'; tokens: HeldTokens }
  | { kind: 'needs_login'; reason: string }
  | { kind: 'transient'; reason: string }
  | { kind: 'gone' };

/** Refresh this long before the access token expires (Codex refreshes at 5 minutes too). */
export const EXPIRY_SKEW_MS = 5 * 60_000;
/** Without an exp, refresh this long after the last refresh (Codex's TOKEN_REFRESH_INTERVAL). */
export const NO_EXP_REFRESH_MS = 8 * 24 * 3600_000;
const REFRESH_TIMEOUT_MS = 15_000;

export function isStale(t: HeldTokens, now = Date.now()): boolean {
  return t.expMs !== undefined ? t.expMs - now < EXPIRY_SKEW_MS : now - t.refreshedAtMs >= NO_EXP_REFRESH_MS;
}

/** Past its expiry: not worth sending at all. */
export function isExpired(t: HeldTokens, now = Date.now()): boolean {
  return t.expMs !== undefined && t.expMs <= now;
}

const context = (accountId: number) => `chatgpt:${accountId}:tokens`;

export function sealTokens(sealer: Sealer, accountId: number, access: string, refreshToken: string): string {
  return sealer.seal(JSON.stringify({ access_token: access, refresh_token: refreshToken }), context(accountId));
}

export function openTokens(sealer: Sealer, row: ChatgptTokensRow): HeldTokens {
  const plain = JSON.parse(sealer.open(row.sealed, context(row.account_id))) as { access_token: string; refresh_token: string };
  return {
    access: plain.access_token,
    refresh: plain.refresh_token,
    generation: row.generation,
    expMs: row.access_expires_at ? Date.parse(row.access_expires_at) : undefined,
    refreshedAtMs: Date.parse(row.refreshed_at),
  };
}

/** The access token's expiry as stored: its JWT exp, else the issuer's expires_in, else unknown. */
export function accessExpiry(tokens: Pick<IssuedTokens, 'accessToken' | 'expiresIn'>, now = Date.now()): string | null {
  const exp = jwtExp(tokens.accessToken);
  if (exp !== undefined) return new Date(exp * 1000).toISOString();
  return tokens.expiresIn !== undefined ? new Date(now + tokens.expiresIn * 1000).toISOString() : null;
}

export class Refresher {
  private readonly inflight = new Map<number, Promise<Refreshed>>();

  constructor(
    private readonly db: Db,
    private readonly sealer: Sealer,
    private readonly issuer: IssuerConfig,
    private readonly log: Log,
  ) {}

  /**
   * Refreshes unless the stored generation moved past `seen` (and, unless `force`, the stored
   * tokens are still fresh). Callers for one account while a refresh runs join it.
   */
  run(accountId: number, seen: number, force: boolean): Promise<Refreshed> {
    const running = this.inflight.get(accountId);
    if (running) return running;
    const work = this.guarded(accountId, seen, force).finally(() => this.inflight.delete(accountId));
    this.inflight.set(accountId, work);
    return work;
  }

  private async guarded(accountId: number, seen: number, force: boolean): Promise<Refreshed> {
    try {
      if (dialectOf(this.db) !== 'postgres') return await this.attempt(this.db, accountId, seen, force);
      return await this.db.transaction().execute(async (trx) => {
        await takeTurn(trx, 'chatgptRefresh', accountId);
        return this.attempt(trx, accountId, seen, force);
      });
    } catch (err) {
      if (isForeignKeyViolation(err)) return { kind: 'gone' }; // removed meanwhile
      throw err;
    }
  }

  private async attempt(db: Db, accountId: number, seen: number, force: boolean): Promise<Refreshed> {
    const account = await chatgptAccountById(db, accountId);
    const row = account && (await readChatgptTokens(db, accountId));
    if (!account || !row) return { kind: 'gone' };
    if (account.state === 'needs_login') return { kind: 'needs_login', reason: account.state_reason ?? 'needs_login' };
    const stored = openTokens(this.sealer, row);
    if (stored.generation !== seen && (force || !isStale(stored))) return { kind: 'fresh', tokens: stored };
    const answer = await refresh(this.issuer, stored.refresh, AbortSignal.timeout(REFRESH_TIMEOUT_MS));
    if (!answer.ok && answer.permanent) {
      await markChatgptNeedsLogin(db, accountId, answer.reason);
      this.log.warn(`chatgpt: account ${accountId} needs a new login (${answer.reason})`);
      return { kind: 'needs_login', reason: answer.reason };
    }
    if (!answer.ok) {
      this.log.warn(`chatgpt: refreshing account ${accountId} failed for now (${answer.reason}); tokens kept`);
      return { kind: 'transient', reason: answer.reason };
    }
    const access = answer.tokens.accessToken ?? stored.access;
    const refreshToken = answer.tokens.refreshToken ?? stored.refresh;
    const expiresAt = answer.tokens.accessToken ? accessExpiry({ accessToken: access, expiresIn: answer.tokens.expiresIn }) : (row.access_expires_at ?? null);
    const generation = stored.generation + 1;
    const written = await writeChatgptTokens(db, accountId, { sealed: sealTokens(this.sealer, accountId, access, refreshToken), accessExpiresAt: expiresAt, generation }, stored.generation);
    if (!written) return { kind: 'transient', reason: 'tokens changed during the refresh' }; // SQLite: another process wrote
    if (answer.tokens.idToken) await this.noteProfile(db, account, answer.tokens.idToken);
    return { kind: 'fresh', tokens: { access, refresh: refreshToken, generation, expMs: expiresAt ? Date.parse(expiresAt) : undefined, refreshedAtMs: Date.now() } };
  }

  /** Only a change is written: the row is watched, and a write makes every instance drop its caches. */
  private async noteProfile(db: Db, account: { id: number; email: string | null; plan: string | null }, idToken: string): Promise<void> {
    const claims = idTokenClaims(idToken);
    const email = claims.email ?? account.email;
    const plan = claims.plan ?? account.plan;
    if (email !== account.email || plan !== account.plan) await updateChatgptProfile(db, account.id, { email, plan });
  }
}
