// Reads usage from a response as it passes to the client, never holding a byte back: SSE
// events through eventsource-parser, a JSON body from a bounded copy parsed at the end.
// A stream cut short is still metered with what was seen.
import { createParser, type EventSourceParser } from 'eventsource-parser';
import { emptyUsage, type Usage, type UsageReader } from '../providers/usage.js';

const MAX_JSON_COPY = 8 * 1024 * 1024;

export class Meter {
  readonly usage: Usage = emptyUsage();
  private sse?: EventSourceParser;
  private decoder = new TextDecoder();
  private json: Buffer[] = [];
  private jsonSize = 0;

  constructor(private readonly reader: UsageReader) {}

  /** Called once the response headers are known. */
  start(contentType: string | undefined): void {
    if (/text\/event-stream/i.test(contentType ?? '')) {
      this.sse = createParser({ onEvent: (e) => this.event(e.event, e.data) });
    }
  }

  readonly feed = (chunk: Buffer): void => {
    if (this.sse) return this.sse.feed(this.decoder.decode(chunk, { stream: true }));
    if (this.jsonSize + chunk.length > MAX_JSON_COPY) return;
    this.json.push(chunk);
    this.jsonSize += chunk.length;
  };

  private event(type: string | undefined, data: string): void {
    if (!data || data === '[DONE]' || data[0] !== '{') return;
    try {
      this.reader.fromEvent(type, JSON.parse(data), this.usage);
    } catch {
      // Not JSON: nothing to meter in it.
    }
  }

  /** The usage seen so far (call when the response has ended, completely or not). */
  finish(): Usage {
    if (!this.sse && this.json.length) {
      try {
        const body = JSON.parse(Buffer.concat(this.json, this.jsonSize).toString('utf8'));
        if (body && typeof body === 'object') this.reader.fromJson(body, this.usage);
      } catch {
        // A truncated or non-JSON body carries no usage we can trust.
      }
      this.json = [];
    }
    return this.usage;
  }
}
