// Connected ChatGPT accounts: the one door commands and the gateway use. Rows in
// chatgpt_accounts (watched: topic 'chatgpt'), tokens sealed in chatgpt_tokens, windows in
// chatgpt_windows. Tokens are decrypted only into this object's memory, never returned to a
// command, never logged. Refresh is single-flight (refresh.ts).
import type { ChatgptConfig } from '../../config.js';
import { GatehouseError } from '../../errors.js';
import type { Db } from '../../db/open.js';
import type { Log } from '../../log.js';
import type { Changes } from '../changes.js';
import type { Sealer } from '../secrets.js';
import type { IssuedTokens, IssuerConfig } from './issuer.js';
import type { CodexRateLimitsEvent, WindowHeaders, Windows } from './windows.js';

export type AccountState = 'ok' | 'needs_login';

export interface ChatgptAccount {
  id: number;
  userId: number;
  name: string;
  email: string | null;
  plan: string | null;
  chatgptAccountId: string;
  state: AccountState;
  /** Why it needs a login: the issuer's code (refresh_token_reused…). */
  stateReason: string | null;
  /** ISO time of the last token write (connect or refresh). */
  refreshedAt: string | null;
  windows: Windows | null;
}

/** What a backend call needs. `generation` says which tokens these are (for afterUnauthorized). */
export interface BackendCredential {
  accountRowId: number;
  accessToken: string;
  chatgptAccountId: string;
  generation: number;
}

export type RefreshOutcome = 'ok' | { needsLogin: string } | { transient: string };

/** Accounts one user may connect. */
export const MAX_ACCOUNTS_PER_USER = 10;

export class ChatgptAccounts {
  /** For the device-code login (issuer.ts functions take it). */
  readonly issuer: IssuerConfig;

  constructor(
    private readonly db: Db,
    private readonly sealer: Sealer,
    readonly config: Readonly<ChatgptConfig>,
    private readonly changes: Changes,
    private readonly log: Log,
  ) {
    this.issuer = { issuer: config.issuer, clientId: config.clientId };
  }

  /** The user's accounts by name (byte order), with their windows; never a token. */
  async list(userId: number): Promise<ChatgptAccount[]> {
    throw new GatehouseError('internal', 'not yet');
  }

  async find(userId: number, name: string): Promise<ChatgptAccount | undefined> {
    throw new GatehouseError('internal', 'not yet');
  }

  /**
   * Before a login starts: the name is valid and, unless it is a re-login of an existing account,
   * the user has fewer than MAX_ACCOUNTS_PER_USER. Throws invalid_input / conflict.
   */
  async checkNewLogin(userId: number, name: string): Promise<void> {
    throw new GatehouseError('internal', 'not yet');
  }

  /** Stores a login: upserts the row (a re-login keeps its id, state back to ok) and the sealed tokens. */
  async connect(userId: number, name: string, issued: IssuedTokens): Promise<ChatgptAccount> {
    throw new GatehouseError('internal', 'not yet');
  }

  /**
   * Deletes the account (tokens and windows cascade), then revokes its refresh token, best effort.
   * not_found if missing; conflict naming the integrations that use it.
   */
  async remove(userId: number, name: string): Promise<void> {
    throw new GatehouseError('internal', 'not yet');
  }

  /**
   * Tokens for a backend call, refreshed first when the access token expires within 5 minutes (no
   * exp: 8 days after the last refresh). Errors: unauthenticated (needs login, naming the fix),
   * unavailable (issuer unreachable and the token unusable), not_configured (no such account).
   */
  async credential(userId: number, name: string): Promise<BackendCredential> {
    throw new GatehouseError('internal', 'not yet');
  }

  /** The backend answered 401 to `used`: refresh once unless someone already did; same errors as credential. */
  async afterUnauthorized(used: BackendCredential): Promise<BackendCredential> {
    throw new GatehouseError('internal', 'not yet');
  }

  /** `--verify`: refresh now (still one refresh when traffic refreshes at the same time). */
  async refreshNow(userId: number, name: string): Promise<RefreshOutcome> {
    throw new GatehouseError('internal', 'not yet');
  }

  /** Usage windows seen on a backend answer; stored at most every 30 s per account (`force`: a 429). Never throws. */
  noteWindows(accountRowId: number, from: WindowHeaders | CodexRateLimitsEvent, options: { force?: boolean } = {}): void {}

  /** Waits for window writes in flight (at stop). */
  async close(): Promise<void> {}
}
