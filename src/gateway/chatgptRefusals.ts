// Issue 13: a backend that refuses even a freshly refreshed token (401 again and again) must not
// make every request force another refresh at the issuer (accounts.afterUnauthorized forces one
// whenever the token refused is the newest). When the backend refuses the token a refresh just
// gave, the gateway remembers it per account row: that token refused again within the minute is
// answered with a 401 at once, no refresh. A token refused once and then working (an expiry, a
// revocation found by the refresh) is untouched. The store (src/core/chatgpt) is left as it is.
import type { ChatgptAccounts } from '../core/chatgpt/accounts.js';
import type { BackendCredential } from '../core/chatgpt/types.js';
import { GatehouseError } from '../errors.js';

/** How long a refreshed token refused by the backend is not refreshed again. */
export const REFRESH_QUIET_MS = 60_000;

export class RefreshGuard {
  /** Per account row: the refreshed token generation the backend refused too, and when. */
  private readonly refusedFresh = new Map<number, { generation: number; at: number }>();

  constructor(private readonly accounts: ChatgptAccounts) {}

  /** accounts.afterUnauthorized, unless `used` is a fresh token the backend already refused within the minute. */
  async afterUnauthorized(used: BackendCredential, userId: number, name: string): Promise<BackendCredential> {
    const last = this.refusedFresh.get(used.accountRowId);
    if (last && last.generation === used.generation && Date.now() - last.at < REFRESH_QUIET_MS) throw await this.error(userId, name);
    return this.accounts.afterUnauthorized(used);
  }

  /**
   * The backend refused `fresh`, the token afterUnauthorized gave: remembered, and the error for
   * the client (never the backend's raw body).
   */
  async refused(fresh: BackendCredential, userId: number, name: string): Promise<GatehouseError> {
    this.refusedFresh.set(fresh.accountRowId, { generation: fresh.generation, at: Date.now() });
    return this.error(userId, name);
  }

  /** The needs-login error naming the fix when the login is lost (credential() throws it), else a 401 saying what happened. */
  private async error(userId: number, name: string): Promise<GatehouseError> {
    try {
      await this.accounts.credential(userId, name);
    } catch (err) {
      if (err instanceof GatehouseError) return err;
      throw err;
    }
    return new GatehouseError('unauthenticated', `the ChatGPT backend refused the freshly refreshed token of ChatGPT account "${name}"; try again later, or have its owner run: integrations setup chatgpt --name ${name}`);
  }
}

const guards = new WeakMap<ChatgptAccounts, RefreshGuard>();

/** One guard per accounts service, shared by HTTP calls, WebSocket upgrades and model lists. */
export function refreshGuard(accounts: ChatgptAccounts): RefreshGuard {
  let guard = guards.get(accounts);
  if (!guard) guards.set(accounts, (guard = new RefreshGuard(accounts)));
  return guard;
}
