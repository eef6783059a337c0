// Two WebSockets joined: every message passes to the other side in order, untouched (text stays
// text, binary stays binary) unless the hook sends gatehouse's own reading of it instead; pings and pongs cross too (neither side answers them itself);
// a close on one side closes the other with the same code. A slow reader pauses the fast writer
// (bounded bytes in flight), so the gateway never holds more than that per direction.
import WebSocket from 'ws';

/** Bytes sent but not yet written to the other side's socket before the sender is paused. */
const HIGH_WATER = 1 << 20;

export type Verdict = boolean | string;

export interface PipeHooks {
  /**
   * Sees each client → upstream message first: true passes it, false drops it (a refused turn), a
   * string is sent (as text) in its place. A promise (a credit reservation) holds this message and
   * the ones behind it, in order, with the client paused.
   */
  fromClient?(data: Buffer, binary: boolean): Verdict | Promise<Verdict>;
  /** Sees each upstream → client message as it passes (usage), never changing or holding it. */
  fromUpstream?(data: Buffer, binary: boolean): void;
}

export function pipeSockets(client: WebSocket, upstream: WebSocket, hooks: PipeHooks = {}): void {
  forward(client, upstream, hooks.fromClient);
  forward(upstream, client, hooks.fromUpstream && ((data, binary) => (hooks.fromUpstream!(data, binary), true)));
}

function forward(from: WebSocket, to: WebSocket, admit?: (data: Buffer, binary: boolean) => Verdict | Promise<Verdict>): void {
  let inFlight = 0;
  /** Messages waiting behind one whose admission is pending. */
  let held: Promise<void> | undefined;
  let waiting = 0;
  const send = (data: Buffer, binary: boolean) => {
    if (to.readyState !== WebSocket.OPEN) return;
    const size = data.length;
    inFlight += size;
    to.send(data, { binary }, () => {
      inFlight -= size;
      if (from.isPaused && inFlight < HIGH_WATER / 2 && waiting === 0) from.resume();
    });
    if (inFlight >= HIGH_WATER) from.pause();
  };
  const apply = (verdict: Verdict, data: Buffer, binary: boolean): void => {
    if (verdict === true) send(data, binary);
    else if (typeof verdict === 'string') send(Buffer.from(verdict), false);
  };
  const settle = (verdict: Verdict | Promise<Verdict>, data: Buffer, binary: boolean): void | Promise<void> => {
    if (typeof verdict !== 'object') return apply(verdict, data, binary);
    return verdict.then((v) => apply(v, data, binary), () => {});
  };
  from.on('message', (data: Buffer, binary: boolean) => {
    if (to.readyState !== WebSocket.OPEN) return;
    if (!admit) return send(data, binary);
    if (!held) {
      const pending = settle(admit(data, binary), data, binary);
      if (!pending) return;
      held = pending;
    } else held = held.then(() => settle(admit(data, binary), data, binary));
    waiting++;
    from.pause();
    const mine = held;
    void mine.then(() => {
      waiting--;
      if (held === mine) held = undefined;
      if (waiting === 0 && inFlight < HIGH_WATER && from.readyState === WebSocket.OPEN) from.resume();
    });
  });
  from.on('ping', (data) => to.readyState === WebSocket.OPEN && to.ping(data));
  from.on('pong', (data) => to.readyState === WebSocket.OPEN && to.pong(data));
  from.on('close', (code, reason) => closeLike(to, code, reason));
  // An error (an oversized or malformed frame, a reset) is followed by 'close', which ends the pair.
  from.on('error', () => {});
}

/** Closes `to` as `from` was closed: the same code and reason when the code may be sent, else without one (1005) or cut (1006). */
function closeLike(to: WebSocket, code: number, reason: Buffer): void {
  if (to.readyState === WebSocket.CLOSED) return;
  if (to.readyState === WebSocket.CONNECTING || code === 1006 || code === 1015) return void to.terminate();
  if (to.readyState === WebSocket.CLOSING) return;
  if (code === 1005 || !sendable(code)) return void to.close();
  to.close(code, reason.length > 123 ? reason.subarray(0, 123) : reason);
}

/** Close codes a peer may put on the wire (RFC 6455 §7.4, as ws checks them). */
function sendable(code: number): boolean {
  return (code >= 1000 && code <= 1014 && code !== 1004 && code !== 1005 && code !== 1006) || (code >= 3000 && code <= 4999);
}
