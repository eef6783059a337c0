// Relayed Responses WebSockets during a graceful stop (issue 15): a socket is a long-lived
// connection carrying turns, so the drain treats each turn as HTTP treats a stream. When the drain
// starts, a socket between turns is closed at once as "going away" (1001, on which Codex reconnects
// elsewhere); one with a turn in flight right after that turn's end frame has been relayed (the turn
// completes and is metered) or when the drain period ends, whichever comes first. Both sides are
// closed together, so no frame the client sends after the close reaches upstream. A pair counts as
// open until both closing handshakes are done: the listener waits for them (bounded) before it
// cuts the TCP connections, which would otherwise turn the 1001 into a 1006.
import WebSocket from 'ws';
import { Waiters } from '../core/within.js';

export const GOING_AWAY = 1001;
export const GOING_AWAY_REASON = 'gatehouse is shutting down';

/** What the drain needs to know of a socket's turns (socketTurns.ts). */
export interface TurnState {
  readonly idle: boolean;
  /** No new turn starts from now on (one is refused with an error frame). */
  stopAdmitting(): void;
  /** Set here: called when the last open turn has ended, before its end frame is relayed. */
  onIdle: (() => void) | undefined;
}

/**
 * The listener puts its registry on every upgrade request; the relay registers each pair it joins
 * there (as readBody finds its bounds on the request, body.ts). No registry: nothing to drain.
 */
export interface DrainableUpgrade {
  relayed?: RelayedSockets;
}

interface Pair {
  client: WebSocket;
  upstream: WebSocket;
  turns: TurnState;
}

export class RelayedSockets {
  private readonly pairs = new Set<Pair>();
  private readonly waiting = new Waiters();
  private draining = false;

  /** Counted from the join until both sides have closed; joined during a drain, it is closed at once. */
  add(client: WebSocket, upstream: WebSocket, turns: TurnState): void {
    const pair: Pair = { client, upstream, turns };
    this.pairs.add(pair);
    let open = 2;
    const gone = () => {
      if (--open > 0) return;
      this.pairs.delete(pair);
      if (this.pairs.size === 0) this.waiting.wakeAll();
    };
    client.once('close', gone);
    upstream.once('close', gone);
    // The end frame is relayed right after onIdle returns (socketPipe.ts sends it synchronously
    // after its hook): a microtask later, the close frame follows it on the wire.
    turns.onIdle = () => void (this.draining && queueMicrotask(() => goAway(pair)));
    if (this.draining) {
      turns.stopAdmitting();
      goAway(pair);
    }
  }

  get size(): number {
    return this.pairs.size;
  }

  /** The drain starts: sockets between turns go away now, the others after their turn. */
  drain(): void {
    this.draining = true;
    for (const pair of this.pairs) {
      pair.turns.stopAdmitting();
      if (pair.turns.idle) goAway(pair);
    }
  }

  /** The drain period is over: every socket goes away now (a turn still in flight is recorded as cut, 499). */
  endAll(): void {
    this.draining = true;
    for (const pair of this.pairs) goAway(pair);
  }

  /** Resolves once every pair has closed both sides, or after `ms`. */
  settled(ms: number): Promise<void> {
    if (this.pairs.size === 0 || ms <= 0) return Promise.resolve();
    return this.waiting.wait(ms);
  }
}

function goAway({ client, upstream }: Pair): void {
  for (const ws of [client, upstream]) if (ws.readyState === WebSocket.OPEN) ws.close(GOING_AWAY, GOING_AWAY_REASON);
  // The pipe may hold the client paused while a turn is admitted: read on, or its close reply is never seen.
  client.resume();
}
