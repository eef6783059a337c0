// Monthly credits with reservations. Each user's balance lives in memory once loaded (used this
// month from the usage table, plus grants); a charged request is admitted while the balance is
// positive and reserves its estimate at once, so concurrent requests can overspend by at most
// one request's estimate. Check-and-reserve is synchronous, so no two requests interleave in it.
import type { Db } from '../db/open.js';
import { costThisMonth, grantsThisMonth } from '../db/usage.js';
import { GatehouseError } from '../errors.js';
import { monthOf, nextReset } from './month.js';

export const CREDITS_EXHAUSTED = 'credits exhausted; they refresh monthly; see "usage" over SSH';

interface Balance {
  month: string;
  used: number;
  granted: number;
  reserved: number;
}

export interface Reservation {
  userId: number;
  month: string;
  micros: number;
}

export interface BalanceReport {
  month: string;
  allocation_micros: number;
  used_micros: number;
  granted_micros: number;
  reserved_micros: number;
  remaining_micros: number;
  resets_at: string;
}

export class CreditLedger {
  private readonly balances = new Map<number, Balance>();
  private readonly loading = new Map<number, Promise<Balance>>();
  /** The month of the last call and when it ends: toISOString() per request cost ~1.5 µs. */
  private month = { name: '', from: 0, until: 0 };

  constructor(
    private readonly db: Db,
    private readonly allocationMicros: number,
    private readonly now: () => Date = () => new Date(),
  ) {}

  private currentMonth(): string {
    const now = this.now();
    const t = now.getTime();
    if (t < this.month.from || t >= this.month.until) {
      this.month = { name: monthOf(now), from: Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1), until: nextReset(now).getTime() };
    }
    return this.month.name;
  }

  /** The user's balance this month when it is in memory (the common case: no await). */
  private known(userId: number, month: string): Balance | undefined {
    const known = this.balances.get(userId);
    return known && known.month === month ? known : undefined;
  }

  private async balance(userId: number): Promise<Balance> {
    const month = this.currentMonth();
    const known = this.known(userId, month);
    if (known) return known;
    let pending = this.loading.get(userId);
    if (!pending) {
      pending = Promise.all([costThisMonth(this.db, userId, month), grantsThisMonth(this.db, userId, month)]).then(([used, granted]) => {
        const fresh = { month, used, granted, reserved: 0 };
        this.balances.set(userId, fresh);
        this.loading.delete(userId);
        return fresh;
      });
      pending.catch(() => this.loading.delete(userId));
      this.loading.set(userId, pending);
    }
    return pending;
  }

  private remaining(b: Balance): number {
    return this.allocationMicros + b.granted - b.used - b.reserved;
  }

  /** Admits a charged request and reserves its estimate, or refuses with 402. */
  async admit(userId: number, estimateMicros: number): Promise<Reservation> {
    const b = this.known(userId, this.currentMonth()) ?? (await this.balance(userId));
    if (this.remaining(b) <= 0) throw new GatehouseError('payment_required', CREDITS_EXHAUSTED);
    b.reserved += estimateMicros;
    return { userId, month: b.month, micros: estimateMicros };
  }

  /** Releases a reservation and books the actual cost (also for uncharged-but-metered requests: cost 0). */
  settle(reservation: Reservation | undefined, userId: number, costMicros: number): void {
    const b = this.balances.get(userId);
    if (!b) return;
    if (reservation && reservation.month === b.month) b.reserved = Math.max(0, b.reserved - reservation.micros);
    if (!reservation || reservation.month === b.month) b.used += costMicros;
  }

  /** An admin grant: the in-memory balance follows at once (the grant row is written by the caller). */
  granted(userId: number, micros: number): void {
    const b = this.balances.get(userId);
    if (b && b.month === this.currentMonth()) b.granted += micros;
  }

  async report(userId: number): Promise<BalanceReport> {
    const b = await this.balance(userId);
    return {
      month: b.month,
      allocation_micros: this.allocationMicros,
      used_micros: b.used,
      granted_micros: b.granted,
      reserved_micros: b.reserved,
      remaining_micros: this.remaining(b),
      resets_at: nextReset(this.now()).toISOString(),
    };
  }
}
