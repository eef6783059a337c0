// One instance's lease on one user's month balance (the rules: src/core/credits.ts): how big a
// top-up is, and the periodic return of idle leases and renewal of the rest.
import { returnAndRenew, type LeaseBalance } from '../db/creditLeases.js';
import type { Db } from '../db/open.js';

export const LEASE_TTL_MS = 30_000;
export const LEASE_IDLE_MS = 5_000;
export const TICK_MS = 2_000;
export const RENEW_MARGIN_MS = 10_000;
/** A top-up leases a quarter of what is available, but at least this many estimates. */
export const SLICE_ESTIMATES = 4;

export interface Lease {
  month: string;
  /** The payer's monthly allocation: a person's or a team's. */
  allocation: number;
  /** This instance's lease row as the database has it, after every committed change. */
  outstanding: number;
  /** Estimates of requests in flight. */
  reserved: number;
  /** Costs of finished requests whose rows are not committed yet. */
  unwritten: number;
  expiresAt: number;
  usedAt: number;
  topUp?: Promise<boolean>;
  /** When a top-up last brought nothing (0: not since the last grant). */
  dryAt: number;
}

/** Renewed by a tick: still admitting (not within RENEW_MARGIN_MS of expiry) and holding budget. */
const renewable = (l: Lease, t: number): boolean => l.expiresAt > t + RENEW_MARGIN_MS && l.expiresAt < t + LEASE_TTL_MS && l.outstanding > 0;

export const free = (l: Lease): number => l.outstanding - l.reserved - l.unwritten;
export const iso = (t: number): string => new Date(t).toISOString();

/** How much to add to this instance's outstanding, given the user's balance in the database. */
export function sliceOf(allocationMicros: number, b: LeaseBalance, lease: Lease, estimate: number): number {
  const available = allocationMicros + b.granted - b.spent - b.others - Math.max(b.own, 0);
  // Overcommitted (our lease had expired and others took its share): give back what is not in use.
  if (available < 0) return -Math.min(-available, Math.max(0, free(lease)));
  // A negative row is spend already counted in `spent` (the last request of a lease overshot): forgive it.
  const forgive = Math.max(0, -b.own);
  const slice = Math.min(available, Math.max(Math.ceil(available / 4), SLICE_ESTIMATES * estimate));
  return slice + forgive;
}

/**
 * Gives back the free budget of leases idle for LEASE_IDLE_MS (of all, when closing) and renews
 * this instance's leases, in one transaction; forgets leases of past months once settled.
 */
export async function returnAndRenewLeases(db: Db, instance: string, leases: Map<number, Lease>, month: string, t: number, closing: boolean): Promise<{ failed?: unknown }> {
  const returns: { userId: number; micros: number }[] = [];
  for (const [userId, lease] of leases) {
    if (lease.month !== month) {
      if (lease.reserved <= 0 && lease.unwritten <= 0) leases.delete(userId);
      continue;
    }
    const spare = free(lease);
    if (spare <= 0 || (!closing && (t - lease.usedAt < LEASE_IDLE_MS || lease.topUp))) continue;
    // Given back locally first: nothing may be admitted against budget that is on its way back.
    lease.outstanding -= spare;
    returns.push({ userId, micros: spare });
  }
  try {
    await returnAndRenew(db, instance, month, returns, { admitsUntil: iso(t + RENEW_MARGIN_MS), expiresAt: iso(closing ? t : t + LEASE_TTL_MS) });
    // As in the database: only leases still admitting, with something outstanding (a lapsed one
    // is re-established by a top-up, under the per-user lock).
    if (!closing) for (const lease of leases.values()) if (lease.month === month && renewable(lease, t)) lease.expiresAt = t + LEASE_TTL_MS;
    return {};
  } catch (failed) {
    for (const r of returns) {
      const lease = leases.get(r.userId);
      if (lease?.month === month) lease.outstanding += r.micros;
    }
    return { failed };
  }
}
