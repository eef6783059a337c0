// "integrations setup chatgpt" --list, --verify and --delete: what is connected and how it is.
// Everything shown comes from the account rows (claims of the id_token, state, usage windows);
// a token never reaches this file.
import type { ChatgptAccount, RefreshOutcome } from '../../core/chatgpt/accounts.js';
import { notFound } from '../../core/chatgpt/accountViews.js';
import type { UsageWindow, Windows } from '../../core/chatgpt/windows.js';
import { shown } from '../../core/names.js';
import type { CommandContext } from '../../shell/types.js';

export function accountJson(a: ChatgptAccount): object {
  return { name: a.name, email: a.email, plan: a.plan, state: a.state, stateReason: a.stateReason, refreshedAt: a.refreshedAt, windows: a.windows };
}

export async function listAccounts(ctx: CommandContext, json: boolean): Promise<number> {
  const accounts = await ctx.services.chatgpt.list(ctx.user.id);
  if (json) return ctx.out.json(accounts.map(accountJson)), 0;
  if (accounts.length === 0) {
    ctx.out.line(`No ChatGPT account connected. Connect one: ${ctx.out.c.cyan('integrations setup chatgpt --name work')}`);
    return 0;
  }
  const { c } = ctx.out;
  ctx.out.table(
    accounts.map((a) => [
      a.name,
      shown(a.email ?? '-'),
      shown(a.plan ?? '-'),
      a.state === 'ok' ? c.green('ok') : c.red(`needs login${a.stateReason ? ` (${shown(a.stateReason)})` : ''}`),
      a.refreshedAt ? when(a.refreshedAt) : '-',
      usage(a.windows),
    ]),
    ['NAME', 'EMAIL', 'PLAN', 'STATE', 'LAST-REFRESH', 'USAGE'],
  );
  return 0;
}

/** Refreshes each account (or the one named) now; exit 1 when any is not usable. */
export async function verifyAccounts(ctx: CommandContext, name: string | undefined, json: boolean): Promise<number> {
  const all = await ctx.services.chatgpt.list(ctx.user.id);
  const accounts = name === undefined ? all : all.filter((a) => a.name === name);
  if (name !== undefined && accounts.length === 0) throw notFound(name);
  // One after the other: each is one issuer call (up to 15 s), and the list is at most ten long.
  // ^C or a disconnect stops between accounts, and stops the wait at once (review item 7), but a
  // refresh in flight is never aborted: the issuer may have rotated the token already, and the
  // answer must still be stored or the account is lost. It finishes in the background.
  const outcomes = await ctx.input.interruptible(async (signal) => {
    const done: RefreshOutcome[] = [];
    for (const a of accounts) {
      done.push(await unlessAborted(() => ctx.services.chatgpt.refreshNow(ctx.user.id, a.name), signal));
    }
    return done;
  });
  if (json) {
    ctx.out.json(accounts.map((a, n) => ({ name: a.name, ...outcomeJson(outcomes[n]) })));
  } else if (accounts.length === 0) {
    ctx.out.line('No ChatGPT account connected: nothing to verify.');
  } else {
    const { c } = ctx.out;
    ctx.out.table(accounts.map((a, n) => [a.name, outcomeText(outcomes[n], c.green, c.red)]));
  }
  return outcomes.every((o) => o === 'ok') ? 0 : 1;
}

export async function deleteAccount(ctx: CommandContext, name: string, json: boolean): Promise<number> {
  // The revoke after the delete waits on the issuer (up to 10 s): ^C or a disconnect stop the
  // wait (review item 7); the deletion, once started, is not aborted and completes on its own.
  await ctx.input.interruptible((signal) => unlessAborted(() => ctx.services.chatgpt.remove(ctx.user.id, name), signal));
  if (json) ctx.out.json({ deleted: name });
  else ctx.out.line(`Deleted ChatGPT account ${ctx.out.c.bold(name)}`);
  return 0;
}

/**
 * Starts `start()` unless `signal` already aborted; rejects as soon as it aborts, while the work
 * goes on to its end (a failure after that is nobody's to report: the command was cancelled).
 */
function unlessAborted<T>(start: () => Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    start()
      .then(resolve, reject)
      .finally(() => signal.removeEventListener('abort', onAbort));
  });
}

function outcomeJson(o: RefreshOutcome): object {
  if (o === 'ok') return { state: 'ok' };
  return 'needsLogin' in o ? { state: 'needs_login', reason: o.needsLogin } : { state: 'unreachable', reason: o.transient };
}

function outcomeText(o: RefreshOutcome, good: (s: string) => string, bad: (s: string) => string): string {
  if (o === 'ok') return good('ok (refreshed)');
  return 'needsLogin' in o ? bad(`needs login (${shown(o.needsLogin)})`) : bad(`not verified: sign-in unreachable (${shown(o.transient)}); retry shortly`);
}

/** `2025-06-01 14:05` in UTC: the server's clock, whatever the user's zone. */
function when(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? '-' : d.toISOString().slice(0, 16).replace('T', ' ');
}

/** `5h 42% (resets 14:05), 7d 13%`; `-` when the backend has not reported any yet. */
export function usage(w: Windows | null, now = Date.now()): string {
  const parts = [w?.primary, w?.secondary].filter((x): x is UsageWindow => Boolean(x)).map((x) => windowText(x, now));
  return parts.length ? parts.join(', ') : '-';
}

function windowText(w: UsageWindow, now: number): string {
  const label = w.windowMinutes === null ? '' : `${span(w.windowMinutes)} `;
  let reset = '';
  if (w.resetAt !== null && w.resetAt * 1000 > now) {
    const at = new Date(w.resetAt * 1000).toISOString();
    reset = ` (resets ${w.resetAt * 1000 - now < 86_400_000 ? at.slice(11, 16) : at.slice(0, 10)})`;
  }
  return `${label}${Math.round(w.usedPercent)}%${reset}`;
}

/** 300 → 5h, 10080 → 7d, 90 → 90m. */
function span(minutes: number): string {
  if (minutes % 1440 === 0) return `${minutes / 1440}d`;
  if (minutes % 60 === 0) return `${minutes / 60}h`;
  return `${minutes}m`;
}
