// Reading the frames of a relayed Responses WebSocket. Client frames are parsed whole and only
// known types pass (upstream then sees bytes gatehouse itself serialised: no frame can mean one
// thing to gatehouse and another upstream, as a binary frame, leading whitespace, a BOM or a
// duplicate "type" key could). Upstream frames are only looked into when they may end a turn.

/** What a client may send (Codex 0.169.0 sends these three): anything else is refused, never forwarded. */
export type ClientFrameType = 'response.create' | 'response.append' | 'response.processed';
const CLIENT_TYPES = new Set<string>(['response.create', 'response.append', 'response.processed']);

export interface ClientFrame {
  type: ClientFrameType;
  body: Record<string, unknown>;
}

/** A client text frame as gatehouse reads it, or why it is refused. */
export function readClientFrame(data: Buffer): ClientFrame | string {
  const body = parseObject(data);
  if (!body) return 'a frame must be one JSON object (a Responses WebSocket event such as {"type":"response.create", …})';
  const { type } = body;
  if (typeof type !== 'string' || !CLIENT_TYPES.has(type)) return `unsupported frame type ${JSON.stringify(type)?.slice(0, 64) ?? 'none'}; send response.create, response.append or response.processed`;
  return { type: type as ClientFrameType, body };
}

export type UpstreamEnd = { kind: 'response.completed' | 'response.incomplete' | 'response.failed' } | { kind: 'error'; status: number | undefined };

// An unescaped "…" around one of these can only be JSON structure, never text inside a delta
// (whose quotes are escaped): a frame without one is never parsed.
const END_MARKERS = ['"response.completed"', '"response.incomplete"', '"response.failed"', '"error"'].map((m) => Buffer.from(m));
const CREATED = Buffer.from('"response.created"');

/** Whether an upstream frame ends a turn (its top-level type, whatever the key order or spacing). */
export function upstreamEnd(data: Buffer): UpstreamEnd | undefined {
  if (!END_MARKERS.some((m) => data.includes(m))) return undefined;
  const frame = parseObject(data);
  switch (frame?.type) {
    case 'response.completed':
    case 'response.incomplete':
    case 'response.failed':
      return { kind: frame.type };
    case 'error':
      return { kind: 'error', status: typeof frame.status === 'number' ? frame.status : typeof frame.status_code === 'number' ? frame.status_code : undefined };
    default:
      return undefined;
  }
}

/** Whether an upstream frame is the turn's response.created (upstream has taken the turn). */
export function isCreated(data: Buffer): boolean {
  return data.includes(CREATED) && parseObject(data)?.type === 'response.created';
}

/** The frame as one SSE event for the usage readers: JSON's own line breaks are only whitespace. */
export function asSseEvent(data: Buffer): Buffer {
  return Buffer.from(`data: ${data.toString('utf8').replace(/\r\n|\r|\n/g, ' ')}\n\n`);
}

function parseObject(data: Buffer): Record<string, unknown> | undefined {
  try {
    const v = JSON.parse(data.toString('utf8'));
    return v && typeof v === 'object' && !Array.isArray(v) ? v : undefined;
  } catch {
    return undefined;
  }
}
