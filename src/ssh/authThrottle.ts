// Failed logins slow down, per source address. Only the answer to a failure waits: a key that
// verifies is accepted at once, whatever the address's record. So a user who shares an address
// (NAT) with someone hammering the port logs in as fast as ever, and the record is never reset by
// a success: an attacker cannot log in to their own account between guesses to wipe it.
import { addressKey } from './admission.js';

/** Addresses remembered at most; the least recently failing is forgotten first. */
const MAX_ADDRESSES = 10_000;
/** One failure is forgiven per minute. */
const FORGIVE_MS = 60_000;
/** The delay grows to at most 8 times the first one. */
const MAX_FACTOR = 8;
/** A record never holds more than this many failures beyond the free ones: a stopped attack is forgiven within minutes. */
const MAX_EXCESS = 16;

export interface ThrottleSettings {
  freeFailures: number;
  delayMs: number;
}

interface Entry {
  failures: number;
  at: number;
}

export class AuthThrottle {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly settings: ThrottleSettings,
    private readonly now: () => number = Date.now,
  ) {}

  /** Records one failed attempt from `ip`; returns how long to wait before answering it. */
  failure(ip: string | undefined): number {
    const address = addressKey(ip);
    const t = this.now();
    const old = this.entries.get(address);
    const forgiven = old ? (t - old.at) / FORGIVE_MS : 0;
    const failures = Math.min(Math.max(0, (old?.failures ?? 0) - forgiven) + 1, this.settings.freeFailures + MAX_EXCESS);
    // Re-inserted so that the Map's order is recency: the first key is the one to forget.
    this.entries.delete(address);
    this.entries.set(address, { failures, at: t });
    if (this.entries.size > MAX_ADDRESSES) this.entries.delete(this.entries.keys().next().value!);
    const excess = Math.ceil(failures - this.settings.freeFailures);
    if (excess <= 0) return 0;
    return this.settings.delayMs * Math.min(2 ** (excess - 1), MAX_FACTOR);
  }

  /** Addresses remembered (bounded by MAX_ADDRESSES). */
  get size(): number {
    return this.entries.size;
  }
}
