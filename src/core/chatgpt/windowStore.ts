// Stores the usage windows the backend reports, at most every WINDOW_WRITE_MS per account and
// instance (every answer carries them: writing each would be a write per model call), always
// on a 429 (`force`: the figure the user most wants to see). Best effort: a failed write is logged.
import { isForeignKeyViolation } from '../../db/dialect.js';
import { upsertChatgptWindows } from '../../db/chatgptAccounts.js';
import type { Db } from '../../db/open.js';
import type { Log } from '../../log.js';
import { parseWindows, WINDOW_WRITE_MS, type CodexRateLimitsEvent, type WindowHeaders } from './windows.js';

export class WindowStore {
  private readonly lastWrite = new Map<number, number>();
  private readonly writing = new Set<Promise<void>>();

  constructor(
    private readonly db: Db,
    private readonly log: Log,
  ) {}

  note(accountRowId: number, from: WindowHeaders | CodexRateLimitsEvent, force: boolean): void {
    let windows;
    try {
      windows = parseWindows(from);
    } catch {
      return;
    }
    if (!windows) return;
    const now = Date.now();
    const last = this.lastWrite.get(accountRowId);
    if (!force && last !== undefined && now - last < WINDOW_WRITE_MS) return;
    this.lastWrite.set(accountRowId, now);
    if (this.lastWrite.size > 10_000) this.lastWrite.clear(); // bounded: a forgotten entry costs one early write
    const { primary: p, secondary: s } = windows;
    const write = upsertChatgptWindows(this.db, accountRowId, {
      primary_used_percent: p?.usedPercent ?? null,
      primary_window_minutes: p?.windowMinutes ?? null,
      primary_reset_at: p?.resetAt ?? null,
      secondary_used_percent: s?.usedPercent ?? null,
      secondary_window_minutes: s?.windowMinutes ?? null,
      secondary_reset_at: s?.resetAt ?? null,
      observed_at: windows.observedAt,
    })
      .catch((err) => {
        if (!isForeignKeyViolation(err)) this.log.warn(`chatgpt: storing usage windows of account ${accountRowId} failed: ${(err as Error).message}`);
      })
      .finally(() => this.writing.delete(write));
    this.writing.add(write);
  }

  async close(): Promise<void> {
    await Promise.all([...this.writing]);
  }
}
