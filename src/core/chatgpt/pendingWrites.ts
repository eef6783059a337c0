// Refreshed tokens the database did not take (issue 13 review 4). Once the issuer answered a
// refresh, the refresh token we sent is used up: losing the new one loses the login. So when the
// write (or the PostgreSQL commit) fails, the new tokens stay here, this instance keeps using them,
// and the write is retried outside the failed transaction with backoff (1 s doubling to 60 s, for
// as long as the process lives), guarded by the generation it replaces.
// Not covered, and it cannot be: a crash between the issuer's answer and a successful write loses
// the new tokens (the issuer offers no way to repeat or undo a refresh); the account then needs a
// new login on its next refresh. Other instances see the old tokens until the write lands.
import { writeChatgptTokens } from '../../db/chatgptAccounts.js';
import type { Db } from '../../db/open.js';
import type { Log } from '../../log.js';
import type { HeldTokens } from './refresh.js';

export interface PendingWrite {
  /** The generation the write replaces (the one refreshed). */
  expected: number;
  write: { sealed: string; accessExpiresAt: string | null; generation: number };
  tokens: HeldTokens;
}

const MAX_DELAY_MS = 60_000;

/** A database error's code or class, never its text (which may quote the values written). */
export function errorKind(err: unknown): string {
  const code = (err as { code?: unknown })?.code;
  return typeof code === 'string' && /^[A-Z0-9_]{1,32}$/i.test(code) ? code : ((err as Error)?.name ?? 'error');
}

export class PendingWrites {
  private readonly pending = new Map<number, PendingWrite & { tries: number; timer?: NodeJS.Timeout }>();

  constructor(
    private readonly db: Db,
    private readonly log: Log,
    private readonly firstDelayMs = 1000,
  ) {}

  keep(accountId: number, write: PendingWrite): void {
    this.forget(accountId);
    this.pending.set(accountId, { ...write, tries: 0 });
    this.schedule(accountId);
  }

  /** Drops what is kept for the account (a removal, a new login); returns it. */
  forget(accountId: number): PendingWrite | undefined {
    const p = this.pending.get(accountId);
    if (p?.timer) clearTimeout(p.timer);
    this.pending.delete(accountId);
    return p;
  }

  /**
   * Tries the kept write now. Returns the tokens that must still be used (the write failed again),
   * or undefined: nothing kept, written, or replaced meanwhile by a login or removal.
   */
  async flush(accountId: number): Promise<HeldTokens | undefined> {
    const p = this.pending.get(accountId);
    if (!p) return undefined;
    try {
      await writeChatgptTokens(this.db, accountId, p.write, p.expected); // false: replaced, nothing to keep
      if (this.pending.get(accountId) === p) this.forget(accountId);
      return undefined;
    } catch (err) {
      this.log.error(`chatgpt: storing the refreshed tokens of account ${accountId} failed again (${errorKind(err)}); kept in memory, retrying`);
      return p.tokens;
    }
  }

  /** At stop: one last try for each, then no more timers. */
  async close(): Promise<void> {
    for (const id of [...this.pending.keys()]) {
      await this.flush(id);
      this.forget(id);
    }
  }

  private schedule(accountId: number): void {
    const p = this.pending.get(accountId);
    if (!p) return;
    const delay = Math.min(this.firstDelayMs * 2 ** p.tries, MAX_DELAY_MS);
    p.tries++;
    p.timer = setTimeout(() => {
      void this.flush(accountId).then((still) => still && this.pending.get(accountId) === p && this.schedule(accountId));
    }, delay);
    p.timer.unref();
  }
}
