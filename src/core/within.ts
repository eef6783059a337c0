// Waiting with a bound: shutdown steps (running commands, streams, listeners closing) must never
// hang the process, so each waits at most its own time and then moves on.

/** Settles when `promise` does or after `ms`, whichever comes first. */
export function within(promise: Promise<unknown>, ms: number): Promise<unknown> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise((resolve) => (timer = setTimeout(resolve, ms)));
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}
