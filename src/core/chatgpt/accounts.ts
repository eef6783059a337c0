// Connected ChatGPT accounts: the one door commands and the gateway use. Rows in
// chatgpt_accounts (watched: topic 'chatgpt'), tokens sealed in chatgpt_tokens, windows in
// chatgpt_windows. Tokens are decrypted only into this object's memory, never returned to a
// command, never logged. Refresh is single-flight per account, in process and fleet-wide (refresh.ts).
//
// Memory: accounts by owner and name, tokens by account, both forgotten on topic 'chatgpt' (a login,
// a removal, needs_login anywhere in the fleet) and never on a refresh: another instance's refresh is
// found by the generation check when ours go stale.
import type { ChatgptConfig } from '../../config.js';
import { GatehouseError } from '../../errors.js';
import { chatgptAccountById, countChatgptAccounts, deleteChatgptAccount, findChatgptAccount, findChatgptAccountRow, listChatgptAccounts, readChatgptTokens, storeChatgptLogin, upsertChatgptAccount } from '../../db/chatgptAccounts.js';
import { takeTurn } from '../../db/dialect.js';
import { listIntegrationRows } from '../../db/integrations.js';
import type { Db } from '../../db/open.js';
import type { ChatgptAccountRow } from '../../db/schema.js';
import type { Log } from '../../log.js';
import type { Changes } from '../changes.js';
import type { Sealer } from '../secrets.js';
import { accountFromView, checkAccountName, credentialOf, needsLogin, notConnected, notFound, unavailable, usersOf } from './accountViews.js';
import { idTokenClaims } from './claims.js';
import { revoke, type IssuedTokens, type IssuerConfig } from './issuer.js';
import { accessExpiry, isExpired, isStale, openTokens, Refresher, sealTokens, type HeldTokens, type Refreshed } from './refresh.js';
import { WindowStore } from './windowStore.js';
import type { BackendCredential, ChatgptAccount, RefreshOutcome } from './types.js';
import type { CodexRateLimitsEvent, WindowHeaders } from './windows.js';

export { checkAccountName } from './accountViews.js';

export type { AccountState, BackendCredential, ChatgptAccount, RefreshOutcome } from './types.js';

/**
 * After a transient refresh failure, the issuer is not asked again for this long: a still-usable
 * token is used meanwhile, an expired one is answered `unavailable` straight away.
 */
const RETRY_QUIET_MS = 10_000;

/** Accounts one user may connect. */
export const MAX_ACCOUNTS_PER_USER = 10;

export class ChatgptAccounts {
  /** For the device-code login (issuer.ts functions take it). */
  readonly issuer: IssuerConfig;
  private readonly refresher: Refresher;
  private readonly windowStore: WindowStore;
  private readonly accounts = new Map<string, ChatgptAccountRow>();
  private readonly tokens = new Map<number, HeldTokens>();
  /** After a transient refresh failure: no new attempt until then (RETRY_QUIET_MS). */
  private readonly quietUntil = new Map<number, number>();
  /** Goes up on every forget: a read that started before one must not refill the maps. */
  private epoch = 0;

  constructor(
    private readonly db: Db,
    private readonly sealer: Sealer,
    readonly config: Readonly<ChatgptConfig>,
    changes: Changes,
    log: Log,
  ) {
    this.issuer = { issuer: config.issuer, clientId: config.clientId };
    this.refresher = new Refresher(db, sealer, this.issuer, log);
    this.windowStore = new WindowStore(db, log);
    changes.on('chatgpt', () => {
      this.epoch++;
      this.accounts.clear();
      this.tokens.clear();
      this.quietUntil.clear();
    });
  }

  /** The user's accounts by name (byte order), with their windows; never a token. */
  async list(userId: number): Promise<ChatgptAccount[]> {
    return (await listChatgptAccounts(this.db, userId)).map(accountFromView);
  }

  async find(userId: number, name: string): Promise<ChatgptAccount | undefined> {
    const view = await findChatgptAccount(this.db, userId, name);
    return view && accountFromView(view);
  }

  /**
   * Before a login starts: the name is valid and, unless it is a re-login of an existing account,
   * the user has fewer than MAX_ACCOUNTS_PER_USER. Throws invalid_input / conflict.
   */
  async checkNewLogin(userId: number, name: string): Promise<void> {
    checkAccountName(name);
    if (await findChatgptAccount(this.db, userId, name)) return;
    if ((await countChatgptAccounts(this.db, userId)) >= MAX_ACCOUNTS_PER_USER) {
      throw new GatehouseError('conflict', `you have ${MAX_ACCOUNTS_PER_USER} ChatGPT accounts connected, the most allowed`, { hint: 'remove one with "integrations setup chatgpt --name ACCT --delete"' });
    }
  }

  /** Stores a login: upserts the row (a re-login keeps its id, state back to ok) and the sealed tokens. */
  async connect(userId: number, name: string, issued: IssuedTokens): Promise<ChatgptAccount> {
    await this.checkNewLogin(userId, name);
    const claims = idTokenClaims(issued.idToken ?? '');
    if (!claims.chatgptAccountId) throw new GatehouseError('upstream_unreachable', 'ChatGPT sign-in returned no account id; run the command again');
    const expiresAt = accessExpiry(issued);
    const row = await this.db.transaction().execute(async (trx) => {
      const account = await upsertChatgptAccount(trx, userId, name, { email: claims.email, plan: claims.plan, chatgptAccountId: claims.chatgptAccountId! });
      const sealed = sealTokens(this.sealer, account.id, issued.accessToken, issued.refreshToken);
      // the generation goes up in SQL: this runs without the refresh lock, and a refresh may commit
      // between a read and our write (review 9)
      await storeChatgptLogin(trx, account.id, { sealed, accessExpiresAt: expiresAt });
      return account;
    });
    this.refresher.pending.forget(row.id); // tokens kept from a failed write are superseded by the login
    return (await this.find(userId, row.name))!;
  }

  /**
   * Deletes the account (tokens and windows cascade), then revokes its refresh token, best effort.
   * not_found if missing; conflict naming the integrations that use it.
   */
  async remove(userId: number, name: string): Promise<void> {
    const account = await findChatgptAccount(this.db, userId, name);
    if (!account) throw notFound(name);
    const users = usersOf(await listIntegrationRows(this.db, userId), name);
    if (users.length > 0) {
      throw new GatehouseError('conflict', `ChatGPT account "${name}" is used by integrations ${users.join(', ')}; switch them first: integrations edit ${users[0]} --openai=gateway`);
    }
    // The token revoked must be the live one: read it under the refresh lock (a refresh on another
    // instance may rotate it meanwhile) and after this process's refresh (SQLite has no lock) (review 7).
    await this.refresher.idle(account.id);
    const row = await this.db.transaction().execute(async (trx) => {
      await takeTurn(trx, 'chatgptRefresh', account.id);
      const tokens = await readChatgptTokens(trx, account.id);
      return (await deleteChatgptAccount(trx, userId, account.id)) ? (tokens ?? null) : undefined;
    });
    if (row === undefined) throw notFound(name);
    const kept = this.refresher.pending.forget(account.id); // newer than the stored ones when their write failed
    const live = kept?.tokens.refresh ?? (row && openTokens(this.sealer, row).refresh);
    if (live) await revoke(this.issuer, live);
  }

  /**
   * Tokens for a backend call, refreshed first when the access token expires within 5 minutes (no
   * exp: 8 days after the last refresh). Errors: unauthenticated (needs login, naming the fix),
   * unavailable (issuer unreachable and the token unusable), not_configured (no such account).
   */
  async credential(userId: number, name: string): Promise<BackendCredential> {
    const account = await this.account(userId, name);
    const held = await this.held(account);
    const usable = !isExpired(held);
    if (!isStale(held)) return credentialOf(account, held);
    // Quiet after a transient failure whether or not the token still works (review 6): with an
    // expired one, asking the issuer on every request would call it at the request rate.
    if ((this.quietUntil.get(account.id) ?? 0) > Date.now()) {
      if (usable) return credentialOf(account, held);
      throw unavailable();
    }
    const outcome = await this.refresher.run(account.id, held.generation, false);
    if (outcome.kind === 'transient') {
      this.quietUntil.set(account.id, Date.now() + RETRY_QUIET_MS);
      if (usable) return credentialOf(account, held);
    }
    return credentialOf(account, this.settle(account, outcome));
  }

  /** The backend answered 401 to `used`: refresh once unless someone already did; same errors as credential. */
  async afterUnauthorized(used: BackendCredential): Promise<BackendCredential> {
    const account = await chatgptAccountById(this.db, used.accountRowId);
    if (!account) throw notConnected(used.accountName); // removed since the credential was given
    if (account.state === 'needs_login') throw needsLogin(account.name, account.state_reason);
    const cached = this.tokens.get(account.id);
    if (cached && cached.generation !== used.generation && !isStale(cached)) return credentialOf(account, cached);
    return credentialOf(account, this.settle(account, await this.refresher.run(account.id, used.generation, true)));
  }

  /** `--verify`: refresh now (still one refresh when traffic refreshes at the same time). */
  async refreshNow(userId: number, name: string): Promise<RefreshOutcome> {
    const view = await findChatgptAccount(this.db, userId, name);
    if (!view) throw notFound(name);
    if (view.state === 'needs_login') return { needsLogin: view.state_reason ?? 'needs_login' };
    const row = await readChatgptTokens(this.db, view.id);
    const outcome = await this.refresher.run(view.id, row?.generation ?? 0, true);
    if (outcome.kind === 'needs_login') return { needsLogin: outcome.reason };
    if (outcome.kind === 'transient') return { transient: outcome.reason };
    if (outcome.kind === 'gone') throw notFound(name);
    this.quietUntil.delete(view.id);
    this.tokens.set(view.id, outcome.tokens);
    return 'ok';
  }

  /** Usage windows seen on a backend answer; stored at most every 30 s per account (`force`: a 429). Never throws. */
  noteWindows(accountRowId: number, from: WindowHeaders | CodexRateLimitsEvent, options: { force?: boolean } = {}): void {
    this.windowStore.note(accountRowId, from, options.force ?? false);
  }

  /** Waits for window writes in flight (at stop). */
  async close(): Promise<void> {
    await this.windowStore.close();
    await this.refresher.pending.close();
  }

  private async account(userId: number, name: string): Promise<ChatgptAccountRow> {
    const key = `${userId}:${name}`;
    let account = this.accounts.get(key);
    if (!account) {
      const epoch = this.epoch;
      account = await findChatgptAccountRow(this.db, userId, name);
      if (!account) throw notConnected(name);
      if (epoch === this.epoch) this.accounts.set(key, account);
    }
    if (account.state === 'needs_login') throw needsLogin(account.name, account.state_reason);
    return account;
  }

  private async held(account: ChatgptAccountRow): Promise<HeldTokens> {
    const cached = this.tokens.get(account.id);
    if (cached) return cached;
    const epoch = this.epoch;
    const row = await readChatgptTokens(this.db, account.id);
    if (!row) throw notConnected(account.name);
    const held = openTokens(this.sealer, row);
    if (epoch === this.epoch) this.tokens.set(account.id, held);
    return held;
  }

  /** Fresh tokens from a refresh outcome (remembered), or the error the caller gets. */
  private settle(account: ChatgptAccountRow, outcome: Refreshed): HeldTokens {
    if (outcome.kind === 'fresh') {
      this.quietUntil.delete(account.id);
      const cached = this.tokens.get(account.id);
      if (!cached || cached.generation <= outcome.tokens.generation) this.tokens.set(account.id, outcome.tokens);
      return outcome.tokens;
    }
    if (outcome.kind === 'needs_login') throw needsLogin(account.name, outcome.reason);
    if (outcome.kind === 'gone') throw notConnected(account.name);
    throw unavailable();
  }
}
