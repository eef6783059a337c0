// One forwarded request in flight, and the one way its response is ended early, whoever ends
// it (an upstream failure, a shutdown): an SSE stream with the provider's own error event at an
// event boundary, then the close (DESIGN.md §4, §9); any other body is cut.
import type { ServerResponse } from 'node:http';
import type { GatehouseError } from '../errors.js';
import { sseErrorEvent, type ErrorStyle } from '../providers/provider.js';
import { publicError } from './errors.js';
import { Abort } from './relay.js';
import type { SseFramer } from './sse.js';

/** One request in flight: what it takes to end its response early, the same way whoever ends it. */
export class Flight {
  readonly abort = new Abort();
  /** Set once the client's response was ended here: nothing more is written to it. */
  closed = false;
  /** Why the gateway ended it (endStreams), when it did. */
  endedBy?: GatehouseError;
  framer?: SseFramer;

  constructor(
    readonly res: ServerResponse,
    readonly style: ErrorStyle,
  ) {}

  /**
   * Ends a response that has begun: an SSE stream with the provider's error event, after the
   * last whole event (the incomplete one is dropped), then the close; any other body is cut, as
   * is a stream caught inside an event too large to hold (SseFramer's MAX_HELD).
   */
  fail(err: GatehouseError): void {
    if (this.closed || !this.res.headersSent || this.res.destroyed || this.res.writableEnded) return;
    this.closed = true;
    if (!this.framer?.atBoundary) return void this.res.destroy();
    this.framer.drop();
    this.res.end(sseErrorEvent(this.style, publicError(err), this.framer.nextSequence()));
  }
}
