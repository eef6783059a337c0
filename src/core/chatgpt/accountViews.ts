// Pure mappings for accounts.ts: a stored row as the ChatgptAccount commands show, and which of a
// user's integrations send OpenAI calls to an account (their settings JSON names it).
import type { ChatgptAccountView } from '../../db/chatgptAccounts.js';
import type { IntegrationRow } from '../../db/schema.js';
import type { LlmSettings } from '../integrations.js';
import type { AccountState, ChatgptAccount } from './accounts.js';
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
