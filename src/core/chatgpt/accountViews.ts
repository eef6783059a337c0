// Pure helpers of accounts.ts: a stored row as the ChatgptAccount commands show, which of a user's
// integrations send OpenAI calls to an account (their settings JSON names it), the account name
// rule, and the errors callers see.
import { GatehouseError } from '../../errors.js';
import type { ChatgptAccountView } from '../../db/chatgptAccounts.js';
import type { ChatgptAccountRow, IntegrationRow } from '../../db/schema.js';
import { checkIntegrationName, type LlmSettings } from '../integrations.js';
import { shown } from '../names.js';
import type { AccountState, BackendCredential, ChatgptAccount } from './types.js';
import type { HeldTokens } from './refresh.js';
import type { UsageWindow } from './windows.js';

function window(used: number | null, minutes: number | null, resetAt: number | null): UsageWindow | null {
  return used === null ? null : { usedPercent: used, windowMinutes: minutes, resetAt };
}

export function accountFromView(v: ChatgptAccountView): ChatgptAccount {
  const w = v.windows;
  return {
    id: v.id,
    userId: v.user_id,
    name: v.name,
    email: v.email,
    plan: v.plan,
    chatgptAccountId: v.chatgpt_account_id,
    state: v.state as AccountState,
    stateReason: v.state_reason,
    refreshedAt: v.refreshed_at,
    windows: w && {
      primary: window(w.primary_used_percent, w.primary_window_minutes, w.primary_reset_at),
      secondary: window(w.secondary_used_percent, w.secondary_window_minutes, w.secondary_reset_at),
      observedAt: w.observed_at,
    },
  };
}

/** Names of the llm integrations whose openai source is this ChatGPT account. */
export function usersOf(rows: IntegrationRow[], account: string): string[] {
  return rows
    .filter((r) => {
      if (r.type !== 'llm') return false;
      try {
        const openai = (JSON.parse(r.settings) as LlmSettings).providers?.openai;
        return openai?.source === 'chatgpt' && openai.account === account;
      } catch {
        return false;
      }
    })
    .map((r) => r.name);
}

export function credentialOf(account: ChatgptAccountRow, held: HeldTokens): BackendCredential {
  return { accountRowId: account.id, accountName: account.name, accessToken: held.access, chatgptAccountId: account.chatgpt_account_id, generation: held.generation };
}

export function needsLogin(name: string, reason: string | null): GatehouseError {
  return new GatehouseError('unauthenticated', `ChatGPT account "${name}" needs a new login (${reason ?? 'needs_login'}); its owner must run: integrations setup chatgpt --name ${name}`);
}

/** The gateway's view: an integration names an account that is not (or no longer) connected. */
export function notConnected(name: string): GatehouseError {
  return new GatehouseError('not_configured', `ChatGPT account "${shown(name)}" is not connected; its owner can connect it with: integrations setup chatgpt --name ${shown(name)}`);
}

export function unavailable(): GatehouseError {
  return new GatehouseError('unavailable', 'ChatGPT sign-in is unreachable; retry shortly');
}

export function notFound(name: string): GatehouseError {
  return new GatehouseError('not_found', `ChatGPT account "${shown(name)}" not found`, { hint: 'list connected accounts with "integrations setup chatgpt --list"' });
}

/** Account names follow integration names (DNS labels), at most 32 characters. */
export function checkAccountName(name: string): string {
  if (name.length > 32) throw new GatehouseError('invalid_input', `invalid ChatGPT account name "${shown(name)}": at most 32 characters`);
  try {
    return checkIntegrationName(name);
  } catch {
    throw new GatehouseError('invalid_input', `invalid ChatGPT account name "${shown(name)}": use a DNS label, 1–32 of a-z, 0-9 and "-", not starting or ending with "-"`);
  }
}
