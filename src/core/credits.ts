// Monthly credits with reservations, for one instance or a fleet on one database.
//
// Each instance (random id) leases a slice of a user's month balance from the database (a
// credit_leases row: outstanding micros, expiry), in one short transaction serialised per user
// fleet-wide (src/db/creditLeases.ts). The hot path never waits on the database: a charged request
// is admitted while the local lease has free budget (outstanding - reserved - unwritten > 0) and
// reserves its estimate synchronously, as before leases. Below a low-water mark a top-up runs in
// the background (single-flight per user); at zero, requests await one shared top-up and get 402
// if it brings nothing. A usage batch moves its cost from outstanding to spent in the rows' own
// transaction, so written spend plus outstanding leases never counts a micro twice or misses one.
// Idle leases go back after LEASE_IDLE_MS; every lease expires LEASE_TTL_MS after its last renewal
// (every TICK_MS while the instance lives), so a crashed instance's lease is reclaimed then. A tick
// renews only leases still admitting and holding budget: one that lapsed (renewals failed) may
// already be leased again by another instance, so it comes back only through a top-up.
// Lease rows also carry what their instance has spent (written), so a top-up sums a few lease
// rows, not a month of usage rows (which grew with traffic and made top-ups slower by the day).
//
// Bounds (clocks of the instances assumed within a few seconds of each other):
// - Overspend: each instance admits only within its lease, and a top-up never leases more than the
//   balance minus spent minus the other instances' unexpired leases; so the fleet overspends by at
//   most one request's estimate per instance (the request admitted while the last budget was > 0).
//   A lease stops admitting RENEW_MARGIN_MS before it expires, so an instance cut off from the
//   database cannot spend a lease others may already have taken over. The exception: requests
//   still in flight when a lease lapses (renewals failing for LEASE_TTL_MS - RENEW_MARGIN_MS),
//   whose reservations others may then lease again.
// - False 402: near the end of a balance, credit leased to another instance is not available
//   here until that instance returns it (at its first TICK_MS tick once it has admitted nothing
//   for LEASE_IDLE_MS: at most 7 s after its last charged request), or, if it crashed, until its
//   lease expires (LEASE_TTL_MS after its last renewal). Slices are a quarter of what is available
//   (at least SLICE_ESTIMATES estimates), so the credit out of reach shrinks with the balance.
//   A refused user is re-checked at most every RECHECK_MS, or at once when a grant is made
//   anywhere (change topic 'credits'): never a database query per refused request.
// - Database unreachable: admission goes on within the local lease until RENEW_MARGIN_MS before
//   it expires; then charged requests get 503 (unavailable) until a top-up succeeds.
import { randomBytes } from 'node:crypto';
import type { Db } from '../db/open.js';
import { leaseBalance, payerOf, topUpLease } from '../db/creditLeases.js';
import type { NewUsageRow } from '../db/schema.js';
import { GatehouseError } from '../errors.js';
import type { Log } from '../log.js';
import type { Changes } from './changes.js';
import { free, iso, LEASE_TTL_MS, RENEW_MARGIN_MS, returnAndRenewLeases, sliceOf, TICK_MS, type Lease } from './creditLease.js';
import { monthOf, nextReset } from './month.js';

export { LEASE_IDLE_MS, LEASE_TTL_MS } from './creditLease.js';

export const CREDITS_EXHAUSTED = 'credits exhausted; they refresh monthly; see "usage" over SSH';
export const TEAM_CREDITS_EXHAUSTED = 'team credits exhausted; they refresh monthly; a team owner or admin can see "team usage" over SSH';
/** A refused user is looked at again at most this often (or at once on a 'credits' change). */
export const RECHECK_MS = 1_000;

export const newInstanceId = (): string => randomBytes(8).toString('hex');

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
  private readonly leases = new Map<number, Lease>();
  /** The month of the last call and when it ends: toISOString() per request cost ~1.5 µs. */
  private month = { name: '', from: 0, until: 0 };
  private readonly timer: NodeJS.Timeout;
  private ticking = false;
  private tickFailed = false;
  private topUpFailing = false;

  constructor(
    private readonly db: Db,
    private readonly allocationMicros: number,
    private readonly options: { instance?: string; log?: Log; changes?: Changes; now?: () => Date; teamAllocationMicros?: number } = {},
  ) {
    this.timer = setInterval(() => void this.tick(), TICK_MS);
    this.timer.unref();
    options.changes?.on('credits', () => this.leases.forEach((l) => (l.dryAt = 0)));
  }

  get instance(): string {
    return this.options.instance ?? 'single';
  }

  private currentMonth(t: number): string {
    if (t < this.month.from || t >= this.month.until) {
      const now = new Date(t);
      this.month = { name: monthOf(now), from: Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1), until: nextReset(now).getTime() };
    }
    return this.month.name;
  }

  private now(): number {
    return this.options.now ? this.options.now().getTime() : Date.now();
  }

  /** A team's monthly allocation, or a person's. Leases are keyed by payer id: a team's is its hidden account's. */
  allocationOf(team: boolean): number {
    return team ? (this.options.teamAllocationMicros ?? this.allocationMicros) : this.allocationMicros;
  }

  private lease(userId: number, month: string, team: boolean): Lease {
    let lease = this.leases.get(userId);
    if (!lease || lease.month !== month) this.leases.set(userId, (lease = { month, allocation: this.allocationOf(team), outstanding: 0, reserved: 0, unwritten: 0, expiresAt: 0, usedAt: 0, dryAt: 0 }));
    return lease;
  }

  private usable(l: Lease, t: number): boolean {
    return free(l) > 0 && t < l.expiresAt - RENEW_MARGIN_MS;
  }

  /**
   * Admits a charged request and reserves its estimate, or refuses with 402. `userId` is the payer:
   * the caller, or the team (`team` true) whose integration serves the request.
   */
  async admit(userId: number, estimateMicros: number, team = false): Promise<Reservation> {
    const t = this.now();
    const lease = this.lease(userId, this.currentMonth(t), team);
    if (this.usable(lease, t)) return this.reserve(userId, lease, estimateMicros, t);
    const exhausted = () => new GatehouseError('payment_required', team ? TEAM_CREDITS_EXHAUSTED : CREDITS_EXHAUSTED);
    for (;;) {
      if (!lease.topUp && lease.dryAt && this.now() - lease.dryAt < RECHECK_MS) throw exhausted();
      const grew = await this.topUp(userId, lease, estimateMicros);
      if (this.usable(lease, this.now())) return this.reserve(userId, lease, estimateMicros, this.now());
      // A top-up that brought budget but not enough (a finished request cost more than its slice)
      // is followed by another: each takes a share of what is left, so this ends within a few rounds.
      if (!grew) throw exhausted();
    }
  }

  private reserve(userId: number, lease: Lease, micros: number, t: number): Reservation {
    lease.reserved += micros;
    lease.usedAt = t;
    if (free(lease) < 2 * micros && !lease.topUp) this.topUp(userId, lease, micros).catch(() => {}); // logged in leaseMore
    return { userId, month: lease.month, micros };
  }

  /** Releases a reservation and books the actual cost until its usage row is written. */
  settle(reservation: Reservation | undefined, costMicros: number): void {
    const lease = reservation && this.leases.get(reservation.userId);
    if (!reservation || !lease || lease.month !== reservation.month) return;
    lease.reserved -= reservation.micros;
    lease.unwritten += costMicros;
  }

  /** From the usage writer: rows committed (their cost left our lease in the same transaction) or dropped. */
  written(rows: NewUsageRow[], committed: boolean): void {
    for (const row of rows) {
      if (!(row.cost_micros > 0)) continue;
      const lease = this.leases.get(payerOf(row));
      if (!lease || lease.month !== row.month) continue;
      lease.unwritten -= row.cost_micros;
      if (committed) lease.outstanding -= row.cost_micros;
    }
  }

  private topUp(userId: number, lease: Lease, estimate: number): Promise<boolean> {
    lease.topUp ??= this.leaseMore(userId, lease, estimate).finally(() => (lease.topUp = undefined));
    return lease.topUp;
  }

  private async leaseMore(userId: number, lease: Lease, estimate: number): Promise<boolean> {
    const t = this.now();
    const expiresAt = t + LEASE_TTL_MS;
    let delta: number;
    try {
      delta = await topUpLease(this.db, userId, lease.month, this.instance, { now: iso(t), expiresAt: iso(expiresAt) }, (b) => sliceOf(lease.allocation, b, lease, estimate));
    } catch (cause) {
      if (!this.topUpFailing) this.options.log?.error('topping up a credit lease failed (the database did not answer); retrying on the next request', cause);
      this.topUpFailing = true;
      throw new GatehouseError('unavailable', 'credits cannot be checked right now (the database did not answer); try again shortly', { cause });
    }
    if (this.topUpFailing) this.options.log?.info('credit leases are topped up again');
    this.topUpFailing = false;
    lease.outstanding += delta;
    lease.expiresAt = Math.max(lease.expiresAt, expiresAt);
    // Grown: usable now, or at least more outstanding than before (issue 14: a request that cost far
    // more than its estimate left the lease below zero, and one slice did not lift it: a false 402).
    const grew = this.usable(lease, this.now()) || delta > 0;
    lease.dryAt = grew ? 0 : this.now();
    return grew;
  }

  /** Every TICK_MS: returns idle leases and renews the others. On close: returns all. */
  private async tick(closing = false): Promise<void> {
    if (this.ticking && !closing) return;
    this.ticking = true;
    try {
      const t = this.now();
      const ok = await returnAndRenewLeases(this.db, this.instance, this.leases, this.currentMonth(t), t, closing);
      if (!ok.failed) this.tickFailed = false;
      else if (!this.tickFailed) (this.tickFailed = true), this.options.log?.error('renewing credit leases failed; retrying', ok.failed);
    } finally {
      this.ticking = false;
    }
  }

  /** On shutdown, after the last usage rows are written: what this instance did not use goes back at once. */
  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.tick(true);
  }

  /** The fleet's totals from the database, plus this instance's requests in flight and rows not yet written (`team`: a team's). */
  async report(userId: number, team = false): Promise<BalanceReport> {
    const t = this.now();
    const month = this.currentMonth(t);
    const b = await leaseBalance(this.db, userId, month, this.instance, iso(t));
    const lease = this.leases.get(userId);
    const mine = lease?.month === month ? lease : undefined;
    const used = b.spent + Math.max(0, mine?.unwritten ?? 0);
    const reserved = Math.max(0, mine?.reserved ?? 0);
    const allocation = this.allocationOf(team);
    return {
      month,
      allocation_micros: allocation,
      used_micros: used,
      granted_micros: b.granted,
      reserved_micros: reserved,
      remaining_micros: allocation + b.granted - used - reserved,
      resets_at: nextReset(new Date(t)).toISOString(),
    };
  }
}
