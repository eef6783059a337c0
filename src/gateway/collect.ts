// Collect mode (issue 13, research §2.5): the ChatGPT backend answers the Responses API only as a
// stream, so a client that did not ask to stream is answered with the one JSON object the stream
// ends with: the `response` of response.completed (or .incomplete), its output filled from the
// response.output_item.done events when the backend sent it empty. A stream that fails
// (response.failed, an error event) or ends without a terminal event is a 502 in OpenAI's shape.
// Every chunk is still handed to the meter as it arrives, as in pass-through.
import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { createParser, type EventSourceParser } from 'eventsource-parser';
import { GatehouseError } from '../errors.js';
import { errorBody } from '../providers/provider.js';
import type { ForwardOutcome } from './forward.js';
import { clientHeaders } from './headers.js';
import { UPSTREAM_MAX_FRAME } from './upstreamSocket.js';

/** The events collect mode reads; deltas (nearly all of a stream) are never parsed. */
const KEPT = new Set(['response.output_item.done', 'response.completed', 'response.incomplete', 'response.failed', 'error']);
/** An event without an `event:` field is parsed only if it names a kept type somewhere (its top-level "type" decides). */
const NAMES_KEPT = /"(response\.output_item\.done|response\.completed|response\.incomplete|response\.failed|error)"/;
/**
 * Issue 13: the parser buffers an unfinished line without limit, so a whole answer is held in
 * memory: bounded as one upstream WebSocket frame is (the same output, by another road).
 */
export const COLLECT_MAX_BYTES = UPSTREAM_MAX_FRAME;
type Json = Record<string, any>;

export class ResponseCollector {
  private readonly parser: EventSourceParser;
  private readonly decoder = new StringDecoder('utf8');
  private readonly items: unknown[] = [];
  private final: Json | undefined;
  private failure: { code: string; message: string } | undefined;

  constructor() {
    this.parser = createParser({ onEvent: (e) => this.event(e.event, e.data) });
  }

  push(chunk: Buffer): void {
    this.parser.feed(this.decoder.write(chunk));
  }

  private event(name: string | undefined, data: string): void {
    if (this.final || this.failure) return;
    // Issue 13: the SSE event name when there is one (deltas are skipped unparsed); otherwise the
    // JSON's top-level type, wherever it stands among the keys.
    if (name !== undefined && !KEPT.has(name)) return;
    if (name === undefined && !NAMES_KEPT.test(data)) return;
    let e: Json;
    try {
      e = JSON.parse(data);
    } catch {
      return;
    }
    const kind = name ?? e?.type;
    if (typeof e !== 'object' || e === null || !KEPT.has(kind)) return;
    if (kind === 'response.output_item.done' && typeof e.output_index === 'number' && e.output_index >= 0 && e.output_index < 10_000) this.items[e.output_index] = e.item;
    else if (kind === 'response.completed' || kind === 'response.incomplete') this.final = typeof e.response === 'object' && e.response ? e.response : undefined;
    else if (kind === 'response.failed') this.failure = failureOf(e.response?.error, 'the model call failed');
    else if (kind === 'error') this.failure = failureOf(e.error ?? e, 'the upstream stream reported an error');
  }

  /** The answer: 200 and the response object, or 502 and an OpenAI error saying what upstream said. */
  result(): { status: number; body: object } {
    if (this.final) {
      const output = Array.isArray(this.final.output) && this.final.output.length > 0 ? this.final.output : this.items.filter((i) => i !== undefined);
      return { status: 200, body: { ...this.final, output } };
    }
    const why = this.failure ?? { code: 'upstream_unreachable', message: 'the upstream stream ended without a response' };
    return { status: 502, body: errorBody('openai', { status: 502, code: why.code, message: why.message }) };
  }
}

function failureOf(err: Json | undefined, fallback: string): { code: string; message: string } {
  const code = typeof err?.code === 'string' ? err.code.slice(0, 64) : 'upstream_error';
  const message = typeof err?.message === 'string' ? err.message.slice(0, 1000) : fallback;
  return { code, message };
}

/**
 * Reads the stream to its end (feeding `tap`) and answers the client once. A failure while
 * reading is thrown before anything was written (the caller's error boundary answers it).
 */
export async function answerCollected(body: Readable, upstream: IncomingHttpHeaders, res: ServerResponse, tap: ((chunk: Buffer) => void) | undefined, started: number): Promise<ForwardOutcome> {
  const collector = new ResponseCollector();
  let firstByteMs: number | undefined;
  let bytes = 0;
  for await (const chunk of body) {
    firstByteMs ??= performance.now() - started;
    // Thrown inside the loop: the body is destroyed, which aborts the upstream request.
    if ((bytes += (chunk as Buffer).length) > COLLECT_MAX_BYTES) throw tooLarge();
    collector.push(chunk as Buffer);
    tap?.(chunk as Buffer);
  }
  const { status, body: answer } = collector.result();
  const text = JSON.stringify(answer);
  const headers = clientHeaders(upstream);
  // Issue 13: the stream's framing headers do not describe the JSON made from it.
  for (const name of ['content-type', 'content-length', 'content-encoding']) delete headers[name];
  res.writeHead(status, { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
  return { status, complete: true, firstByteMs };
}

function tooLarge(): GatehouseError {
  return new GatehouseError('upstream_unreachable', `the upstream answer exceeded ${COLLECT_MAX_BYTES >> 20} MiB before it ended; ask with stream:true to receive it as it comes`);
}
