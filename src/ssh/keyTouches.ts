// When a key was last used (ssh_keys.last_used_at, shown by `ssh-key ls` and the account page) is
// written at login, to the second: a login within a second of this server's previous write for
// the same key writes nothing. A script that opens one connection per command logged in with one
// key 100 times in a quarter second and wrote the row 100 times, each write a WAL commit on the
// one event loop: 2% of gatehouse's CPU profile in the 100-session bench, now one write (issue 18).
/** The precision of last_used_at. */
const PRECISION_MS = 1_000;
/** Keys remembered at most; the least recently written is forgotten first (it is then written again). */
const MAX_KEYS = 10_000;

export class KeyTouches {
  private readonly written = new Map<number, number>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Whether this login should write the key's last_used_at (it is then counted as written). */
  due(keyId: number): boolean {
    const t = this.now();
    const last = this.written.get(keyId);
    if (last !== undefined && t - last < PRECISION_MS) return false;
    // Re-inserted so that the Map's order is recency: the first key is the one to forget.
    this.written.delete(keyId);
    this.written.set(keyId, t);
    if (this.written.size > MAX_KEYS) this.written.delete(this.written.keys().next().value!);
    return true;
  }
}
