// Long work a user may give up on (a device-code login waits minutes for a click elsewhere). Each
// input source says what cancels it (a key, a disconnect, shutdown); this runs the work with one
// signal for all of them and makes sure a cancelled command fails as "cancelled", even if the work
// ignored the signal or failed with the abort's own error (a fetch rejects with AbortError).
import { cancelled } from './channel.js';

/** Starts watching for a cancel; calls `abort` at most once; returns how to stop watching. */
export type Watch = (abort: (why?: string) => void) => () => void;

export async function interruptible<T>(work: (signal: AbortSignal) => Promise<T>, ...watches: Watch[]): Promise<T> {
  const controller = new AbortController();
  const abort = (why?: string) => {
    if (!controller.signal.aborted) controller.abort(cancelled(why));
  };
  const stops = watches.map((watch) => watch(abort));
  try {
    const result = await work(controller.signal);
    if (controller.signal.aborted) throw controller.signal.reason;
    return result;
  } catch (err) {
    throw controller.signal.aborted ? controller.signal.reason : err;
  } finally {
    for (const stop of stops) stop();
  }
}

/** Cancels when `signal` aborts (the client left, the server stops); the reason becomes the message. */
export function watchSignal(signal: AbortSignal): Watch {
  return (abort) => {
    const onAbort = () => abort(String(signal.reason ?? 'the session ended'));
    if (signal.aborted) {
      onAbort();
      return () => {};
    }
    signal.addEventListener('abort', onAbort, { once: true });
    return () => signal.removeEventListener('abort', onAbort);
  };
}
