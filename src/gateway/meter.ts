// Reads usage from a response as it passes to the client, never holding a byte back: SSE
// events through eventsource-parser (only those that can carry usage), a JSON body from a
// bounded copy parsed at the end. A stream cut short is still metered with what was seen.
import { StringDecoder } from 'node:string_decoder';
import { createParser, type EventSourceParser } from 'eventsource-parser';
import { emptyUsage, type Usage, type UsageReader } from '../providers/usage.js';
import { eventAround, SseFramer } from './sse.js';

const MAX_JSON_COPY = 8 * 1024 * 1024;
/** Past MAX_JSON_COPY only the end is kept: every API puts its top-level usage last. */
const TAIL = 64 * 1024;

export class Meter {
  readonly usage: Usage = emptyUsage();
  private sse?: EventSourceParser;
  /**
   * A stream's whole events, as bytes: only the events around the reader's marks (UsageReader.mark,
   * one native search) are decoded and parsed. Decoding and parsing every event cost a 200-event
   * stream ~130 µs (issue 18's profile). Whole events end on a blank line: they decode on their own.
   */
  private events?: SseFramer;
  /** Made only past the framer's cap, when bytes pass unframed and may split a character. */
  // StringDecoder, not TextDecoder: a tenth of the memory per held stream (about 0.3 KB vs 3.4 KB).
  private decoder?: StringDecoder;
  private json: Buffer[] = [];
  private jsonSize = 0;
  private tail?: Buffer;

  /**
   * `needModel`: the request named no model, so the response's model is wanted too and a JSON
   * body is parsed whole. Otherwise only its top-level usage object is (see topLevelUsage).
   */
  constructor(
    private readonly reader: UsageReader,
    private readonly needModel = true,
  ) {}

  /** Called once the response headers are known. */
  start(contentType: string | undefined): void {
    if (/text\/event-stream/i.test(contentType ?? '')) {
      this.sse = createParser({ onEvent: (e) => this.event(e.event, e.data) });
      this.events = new SseFramer();
    }
  }

  readonly feed = (chunk: Buffer): void => {
    if (this.events) return this.feedEvents(this.events.push(chunk));
    if (this.tail) {
      this.tail = Buffer.concat([this.tail, chunk]).subarray(-TAIL);
      return;
    }
    if (this.jsonSize + chunk.length > MAX_JSON_COPY) {
      // A huge body (embeddings of a large batch): keep only its end, where the usage is.
      this.tail = Buffer.concat([...this.json, chunk]).subarray(-TAIL);
      this.json = [];
      this.jsonSize = 0;
      return;
    }
    this.json.push(chunk);
    this.jsonSize += chunk.length;
  };

  private feedEvents(bytes: Buffer): void {
    if (bytes.length === 0) return;
    if (this.decoder || !this.events!.atBoundary) {
      // An event past the framer's cap: from here every byte goes to the parser, decoded in order.
      this.decoder ??= new StringDecoder('utf8');
      return this.sse!.feed(this.decoder.write(bytes));
    }
    if (this.modelWanted()) return this.sse!.feed(bytes.toString('utf8'));
    // Only the events around the reader's marks are decoded and parsed.
    for (let at = this.reader.mark(bytes, 0); at !== -1; ) {
      const [start, end] = eventAround(bytes, at);
      this.sse!.feed(bytes.toString('utf8', start, end));
      at = end < bytes.length ? this.reader.mark(bytes, end) : -1;
    }
  }

  /** The request named no model and no event has said it yet: every event is parsed. */
  private modelWanted(): boolean {
    return this.needModel && this.usage.model === undefined;
  }

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
    if (this.sse) {
      // A last event whose blank line never came (a stream cut short) still counts when whole.
      const rest = this.events!.flush();
      if (this.decoder) this.sse.feed(this.decoder.write(rest) + this.decoder.end() + '\n\n');
      else if (rest.length && (this.modelWanted() || this.reader.mark(rest, 0) !== -1)) this.sse.feed(rest.toString('utf8') + '\n\n');
      this.sse = undefined;
      this.events = undefined;
    } else if (this.tail) {
      const usage = usageInTail(this.tail.toString('utf8'));
      if (usage) this.reader.fromJson(usage, this.usage);
      this.tail = undefined;
    } else if (this.json.length) {
      const bytes = Buffer.concat(this.json, this.jsonSize);
      const body = (!this.needModel && topLevelUsage(bytes)) || parseBody(bytes.toString('utf8'));
      if (body) this.reader.fromJson(body, this.usage);
      this.json = [];
    }
    return this.usage;
  }
}

type Json = Record<string, any>;

/** A whole JSON body; or, when it was cut short, the whole elements of a streamed array (Gemini). */
function parseBody(text: string): Json | undefined {
  try {
    const body = JSON.parse(text);
    return body && typeof body === 'object' ? body : undefined;
  } catch {
    // A truncated object carries no usage we can trust; a truncated array's whole elements do.
    return /^\s*\[/.test(text) ? (wholeElements(text) as Json) : undefined;
  }
}

/** The index just past the JSON object or array opening at `start`, or -1 when it never closes. */
function closeOf(text: string, start: number): number {
  let depth = 0;
  let inString = false;
  for (let i = start; i < text.length; i++) {
    const ch = text[i];
    if (inString) {
      if (ch === '\\') i++;
      else if (ch === '"') inString = false;
    } else if (ch === '"') inString = true;
    else if (ch === '{' || ch === '[') depth++;
    else if ((ch === '}' || ch === ']') && --depth === 0) return i + 1;
  }
  return -1;
}

function wholeElements(text: string): unknown[] {
  const out: unknown[] = [];
  let i = text.indexOf('[') + 1;
  const opener = /[{[]/g;
  for (;;) {
    opener.lastIndex = i;
    const open = opener.exec(text)?.index;
    if (open === undefined) return out;
    const end = closeOf(text, open);
    if (end === -1) return out;
    try {
      out.push(JSON.parse(text.slice(open, end)));
    } catch {
      return out;
    }
    i = end;
  }
}

/**
 * `{ usage }` (or `{ usageMetadata }`) of a whole JSON object body, without parsing the rest of
 * it (the answer's text, tool calls …): the last usage key, provided that what follows its
 * object completes the body at the top level. That proves both that the key is the top-level
 * one and that the body was not cut short; anything else (an array, a nested key, a truncated
 * body, no usage) returns undefined and the caller parses the body whole. The text before the
 * key is not validated: a provider answering malformed JSON is billed by the usage it states.
 */
function topLevelUsage(body: Buffer): Json | undefined {
  // Searched in the bytes and decoded from the key on: decoding a long answer costs more than
  // parsing its usage.
  const key = body.lastIndexOf(USAGE_KEY); // "usage or "usageMetadata: the regex below tells which
  if (key < 0 || !/^\s*\{/.test(body.toString('latin1', 0, 64))) return undefined;
  // A key begins after "{" or ","; anything else (`"x \"usage": …`) is inside another string.
  if (!/[{,]\s*$/.test(body.toString('latin1', Math.max(0, key - 64), key))) return undefined;
  const text = body.toString('utf8', key);
  const found = /^"(usage|usageMetadata)"\s*:\s*\{/.exec(text);
  if (!found) return undefined;
  const open = found[0].length - 1;
  const end = closeOf(text, open);
  if (end === -1) return undefined;
  const rest = text.slice(end).trim();
  try {
    if (rest !== '}' && !(rest[0] === ',' && isObject(JSON.parse('{' + rest.slice(1))))) return undefined;
    return { [found[1]]: JSON.parse(text.slice(open, end)) };
  } catch {
    return undefined;
  }
}

const USAGE_KEY = Buffer.from('"usage');
const isObject = (v: unknown) => v !== null && typeof v === 'object' && !Array.isArray(v);

/** The last top-level `"usage": {…}` (or Gemini's usageMetadata) in the end of a huge body. */
function usageInTail(text: string): Json | undefined {
  const keys = [...text.matchAll(/"(usage|usageMetadata)"\s*:\s*\{/g)];
  const last = keys[keys.length - 1];
  if (!last) return undefined;
  const open = last.index + last[0].length - 1;
  const end = closeOf(text, open);
  if (end === -1) return undefined;
  try {
    return { [last[1]]: JSON.parse(text.slice(open, end)) };
  } catch {
    return undefined;
  }
}
