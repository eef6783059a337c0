// The Responses WebSocket on an integration whose OpenAI source is a ChatGPT account (issue 13,
// research §2.6): the upstream end is the backend's /responses socket, opened with the account's
// token and account id; a 401 on the upgrade refreshes the token once and opens again. The plan's
// usage windows are noted from the upgrade's headers and from codex.rate_limits frames. A token
// refreshed later does not touch an open socket: the backend checked it at the upgrade.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { ChatgptAccounts } from '../core/chatgpt/accounts.js';
import type { BackendCredential } from '../core/chatgpt/types.js';
import type { CodexRateLimitsEvent } from '../core/chatgpt/windows.js';
import { chatgptBackend } from '../providers/chatgpt.js';
import { refreshGuard } from './chatgptRefusals.js';
import type { CallPlan } from './plan.js';
import { openUpstreamSocket, refusedStatus, type UpstreamSocket } from './upstreamSocket.js';

/** Issue 13: the backend's cookies are not the VM's to keep (nor are they on HTTP answers). */
const HIDDEN: ReadonlySet<string> = new Set(['set-cookie']);

export interface ChatgptSocket extends UpstreamSocket {
  accountRowId: number;
}

export async function openChatgptSocket(req: IncomingMessage, client: Duplex, accounts: ChatgptAccounts, backend: string, plan: CallPlan, search: string, timeoutMs: number): Promise<ChatgptSocket> {
  const url = `${backend.replace(/^http/, 'ws')}${chatgptBackend.responsesPath}${search}`;
  const open = (c: BackendCredential) => openUpstreamSocket(req, client, { url, credential: chatgptBackend.credentialHeaders(c.accessToken, c.chatgptAccountId), defaults: chatgptBackend.defaultHeaders, hideHeaders: HIDDEN, timeoutMs });
  const [userId, name] = [plan.integration.userId, plan.setting.account ?? ''];
  let credential = await accounts.credential(userId, name);
  let upstream: UpstreamSocket;
  try {
    upstream = await open(credential);
  } catch (err) {
    if (refusedStatus(err) !== 401) throw err;
    const guard = refreshGuard(accounts);
    credential = await guard.afterUnauthorized(credential, userId, name);
    upstream = await open(credential).catch(async (again) => {
      // Issue 13: the fresh token refused too: remembered, so the next upgrade does not refresh again.
      if (refusedStatus(again) === 401) await guard.refused(credential, userId, name);
      throw again;
    });
  }
  accounts.noteWindows(credential.accountRowId, upstream.upgradeHeaders);
  return { ...upstream, accountRowId: credential.accountRowId };
}

const RATE_LIMITS = /^\{\s*"type"\s*:\s*"codex\.rate_limits"/;

/** `observe` with the codex.rate_limits frames noted first (only those are parsed). */
export function noteRateLimits(accounts: ChatgptAccounts, accountRowId: number, observe: (data: Buffer, binary: boolean) => void): (data: Buffer, binary: boolean) => void {
  return (data, binary) => {
    if (!binary && RATE_LIMITS.test(data.subarray(0, 48).toString('latin1'))) {
      try {
        accounts.noteWindows(accountRowId, JSON.parse(data.toString('utf8')) as CodexRateLimitsEvent);
      } catch {
        // not JSON after all: relayed as it came, nothing noted
      }
    }
    observe(data, binary);
  };
}
