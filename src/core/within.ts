// Waiting with a bound: shutdown steps (running commands, streams, listeners closing) must never
// hang the process, so each waits at most its own time and then moves on.

/** Settles when `promise` does or after `ms`, whichever comes first. */
export function within(promise: Promise<unknown>, ms: number): Promise<unknown> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise((resolve) => (timer = setTimeout(resolve, ms)));
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

/** Callers waiting, each at most its own time, for a moment another part announces (everything drained). */
export class Waiters {
  private readonly waiting = new Set<() => void>();

  /** Resolves at the next wakeAll(), or after `ms`. */
  wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.waiting.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.waiting.add(wake);
    });
  }

  wakeAll(): void {
    for (const wake of this.waiting) wake();
  }
}
