// Issue 13: a backend that refuses even a freshly refreshed token (401 again and again) must not
// make every request force another refresh at the issuer (accounts.afterUnauthorized forces one
// whenever the token refused is the newest). The gateway remembers, per account row, the token
// generation its last refresh produced and when: that token refused again within the minute is
// answered with a 401 at once. The store (src/core/chatgpt) is left as it is.
import type { ChatgptAccounts } from '../core/chatgpt/accounts.js';
import type { BackendCredential } from '../core/chatgpt/types.js';
import { GatehouseError } from '../errors.js';

/** How long a refreshed token refused by the backend is not refreshed again. */
export const REFRESH_QUIET_MS = 60_000;

export class RefreshGuard {
  private readonly refreshed = new Map<number, { generation: number; at: number }>();

  constructor(private readonly accounts: ChatgptAccounts) {}

  /** accounts.afterUnauthorized, unless `used` came from a refresh less than a minute ago. */
  async afterUnauthorized(used: BackendCredential, userId: number, name: string): Promise<BackendCredential> {
    const last = this.refreshed.get(used.accountRowId);
    if (last && last.generation === used.generation && Date.now() - last.at < REFRESH_QUIET_MS) throw await this.refused(userId, name);
    const fresh = await this.accounts.afterUnauthorized(used);
    if (fresh.generation !== used.generation) this.refreshed.set(used.accountRowId, { generation: fresh.generation, at: Date.now() });
    return fresh;
  }

  /**
   * The backend refused the account's fresh token: the needs-login error naming the fix when the
   * login is lost (credential() throws it), else a 401 saying so (never the backend's raw body).
   */
  async refused(userId: number, name: string): Promise<GatehouseError> {
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
