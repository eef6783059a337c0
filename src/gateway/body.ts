// Reads a request body up to the configured limit. Oversized bodies are refused with 413 as soon
// as Content-Length (or the running count) says so, without reading the rest.
import type { IncomingMessage } from 'node:http';
import { GatehouseError } from '../errors.js';

const EMPTY = Buffer.alloc(0);

export async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? NaN);
  const tooLarge = () => new GatehouseError('too_large', `request body is larger than ${limit} bytes`);
  if (declared > limit) throw tooLarge();
  if (declared === 0 || (req.method === 'GET' && !req.headers['transfer-encoding'])) return EMPTY;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw tooLarge();
    chunks.push(chunk);
  }
  return chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size);
}

/** The JSON object of a body when it claims to be JSON; malformed JSON is the client's error. */
export function parseJsonBody(body: Buffer, contentType: string | undefined): Record<string, unknown> | undefined {
  if (body.length === 0) return undefined;
  if (contentType && !/json/i.test(contentType)) return undefined;
  try {
    const value = JSON.parse(body.toString('utf8'));
    return value && typeof value === 'object' && !Array.isArray(value) ? value : undefined;
  } catch {
    throw new GatehouseError('invalid_input', 'request body is not valid JSON');
  }
}
