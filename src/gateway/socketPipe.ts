// Two WebSockets joined: every message passes to the other side untouched (text stays text,
// binary stays binary), in order; pings and pongs cross too (neither side answers them itself);
// a close on one side closes the other with the same code. A slow reader pauses the fast writer
// (bounded bytes in flight), so the gateway never holds more than that per direction.
import WebSocket from 'ws';

/** Bytes sent but not yet written to the other side's socket before the sender is paused. */
const HIGH_WATER = 1 << 20;

export interface PipeHooks {
  /** Sees each client → upstream message first; returning false drops it (a refused turn). */
  fromClient?(data: Buffer, binary: boolean): boolean;
}

export function pipeSockets(client: WebSocket, upstream: WebSocket, hooks: PipeHooks = {}): void {
  forward(client, upstream, hooks.fromClient);
  forward(upstream, client);
}

function forward(from: WebSocket, to: WebSocket, admit?: (data: Buffer, binary: boolean) => boolean): void {
  let inFlight = 0;
  from.on('message', (data: Buffer, binary: boolean) => {
    if (to.readyState !== WebSocket.OPEN) return;
    if (admit && !admit(data, binary)) return;
    const size = data.length;
    inFlight += size;
    to.send(data, { binary }, () => {
      inFlight -= size;
      if (from.isPaused && inFlight < HIGH_WATER / 2) from.resume();
    });
    if (inFlight >= HIGH_WATER) from.pause();
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
