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
// writes nothing. When the write after a successful answer fails, the new tokens are kept in memory
// and written later (pendingWrites.ts, which also says what a crash at that moment loses).
// At most REFRESH_CONCURRENCY refreshes run at once per instance (review 5): on PostgreSQL each
// holds a pooled connection for the whole issuer call, and many accounts stale at once must not
// take the pool from every other query. Callers beyond that wait without a connection.
import { dialectOf, isForeignKeyViolation, takeTurn } from '../../db/dialect.js';
import type { Db } from '../../db/open.js';
import { chatgptAccountById, markChatgptNeedsLogin, readChatgptTokens, updateChatgptProfile, writeChatgptTokens } from '../../db/chatgptAccounts.js';
import type { ChatgptTokensRow } from '../../db/schema.js';
import type { Log } from '../../log.js';
import type { Sealer } from '../secrets.js';
import { idTokenClaims, jwtExp } from './claims.js';
import { refresh, type IssuedTokens, type IssuerConfig } from './issuer.js';
import { errorKind, PendingWrites, type PendingWrite } from './pendingWrites.js';
import { TurnLimit } from './turnLimit.js';

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
/** Well under the PostgreSQL pool (10 by default): the rest of the instance keeps connections. */
export const REFRESH_CONCURRENCY = 2;

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
  private readonly turns = new TurnLimit(REFRESH_CONCURRENCY);
  readonly pending: PendingWrites;

  constructor(
    private readonly db: Db,
    private readonly sealer: Sealer,
    private readonly issuer: IssuerConfig,
    private readonly log: Log,
  ) {
    this.pending = new PendingWrites(db, log);
  }

  /**
   * Refreshes unless the stored generation moved past `seen` (and, unless `force`, the stored
   * tokens are still fresh). Callers for one account while a refresh runs join it.
   */
  run(accountId: number, seen: number, force: boolean): Promise<Refreshed> {
    const running = this.inflight.get(accountId);
    if (running) return running;
    const work = this.turns.run(() => this.guarded(accountId, seen, force)).finally(() => this.inflight.delete(accountId));
    this.inflight.set(accountId, work);
    return work;
  }

  /** Resolves once no refresh of the account runs in this process. */
  async idle(accountId: number): Promise<void> {
    await this.inflight.get(accountId)?.catch(() => {});
  }

  private async guarded(accountId: number, seen: number, force: boolean): Promise<Refreshed> {
    // Tokens whose write failed are the live ones (the stored refresh token is used up).
    const kept = await this.pending.flush(accountId);
    if (kept) return { kind: 'fresh', tokens: kept };
    let answered: PendingWrite | undefined;
    const onAnswer = (p: PendingWrite) => void (answered = p);
    try {
      if (dialectOf(this.db) !== 'postgres') return await this.attempt(this.db, accountId, seen, force, onAnswer);
      return await this.db.transaction().execute(async (trx) => {
        await takeTurn(trx, 'chatgptRefresh', accountId);
        return this.attempt(trx, accountId, seen, force, onAnswer);
      });
    } catch (err) {
      if (isForeignKeyViolation(err)) return { kind: 'gone' }; // removed meanwhile
      if (!answered) throw err;
      // the issuer rotated the tokens but they were not stored (write or commit failed): keep them
      this.log.error(`chatgpt: storing the refreshed tokens of account ${accountId} failed (${errorKind(err)}); kept in memory, retrying`);
      this.pending.keep(accountId, answered);
      return { kind: 'fresh', tokens: answered.tokens };
    }
  }

  private async attempt(db: Db, accountId: number, seen: number, force: boolean, onAnswer: (p: PendingWrite) => void): Promise<Refreshed> {
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
    const access = answer.tokens.accessToken;
    const refreshToken = answer.tokens.refreshToken ?? stored.refresh;
    const expiresAt = accessExpiry({ accessToken: access, expiresIn: answer.tokens.expiresIn });
    const generation = stored.generation + 1;
    const write = { sealed: sealTokens(this.sealer, accountId, access, refreshToken), accessExpiresAt: expiresAt, generation };
    const tokens: HeldTokens = { access, refresh: refreshToken, generation, expMs: expiresAt ? Date.parse(expiresAt) : undefined, refreshedAtMs: Date.now() };
    onAnswer({ expected: stored.generation, write, tokens });
    const written = await writeChatgptTokens(db, accountId, write, stored.generation);
    if (!written) return { kind: 'transient', reason: 'tokens changed during the refresh' }; // SQLite: another process wrote
    if (answer.tokens.idToken) await this.noteProfile(db, account, answer.tokens.idToken);
    return { kind: 'fresh', tokens };
  }

  /** Only a change is written: the row is watched, and a write makes every instance drop its caches. */
  private async noteProfile(db: Db, account: { id: number; email: string | null; plan: string | null }, idToken: string): Promise<void> {
    const claims = idTokenClaims(idToken);
    const email = claims.email ?? account.email;
    const plan = claims.plan ?? account.plan;
    if (email !== account.email || plan !== account.plan) await updateChatgptProfile(db, account.id, { email, plan });
  }
}
