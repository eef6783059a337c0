// The ChatGPT account contract shared by commands and the gateway (issue 13 research §2.2).
import type { Windows } from './windows.js';

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
  /** For error messages once the row is gone. */
  accountName: string;
  accessToken: string;
  chatgptAccountId: string;
  generation: number;
}

export type RefreshOutcome = 'ok' | { needsLogin: string } | { transient: string };
