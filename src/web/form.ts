// Reading a posted form: the only request bodies the web listener reads. A form here is a few
// short fields (a CSRF token), so the body is capped at a few KiB and must arrive within a few
// seconds; anything else is refused without being read further.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { GatehouseError } from '../errors.js';

export const MAX_FORM_BYTES = 4096;
const FORM_DEADLINE_MS = 5_000;

/**
 * The fields of an application/x-www-form-urlencoded body. A refused body is drained, not kept,
 * and its connection closes after the answer: the client need not be heard out to the end.
 */
export async function readForm(req: IncomingMessage, res: ServerResponse): Promise<URLSearchParams> {
  try {
    return await readFields(req);
  } catch (err) {
    if (!res.headersSent) res.setHeader('connection', 'close');
    throw err;
  }
}

async function readFields(req: IncomingMessage): Promise<URLSearchParams> {
  const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  if (type !== 'application/x-www-form-urlencoded') {
    req.resume();
    throw new GatehouseError('invalid_input', 'This address takes a form (application/x-www-form-urlencoded).');
  }
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > MAX_FORM_BYTES) {
    req.resume();
    throw tooLarge();
  }
  return new URLSearchParams(await readCapped(req));
}

function readCapped(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const fail = (err: GatehouseError) => {
      cleanup();
      req.resume(); // the rest is discarded, not buffered
      reject(err);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_FORM_BYTES) return fail(tooLarge());
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      resolve(Buffer.concat(chunks).toString('utf8'));
    };
    const onError = () => fail(new GatehouseError('invalid_input', 'The form did not arrive whole.'));
    const timer = setTimeout(() => fail(new GatehouseError('request_timeout', 'The form took too long to arrive.')), FORM_DEADLINE_MS);
    function cleanup() {
      clearTimeout(timer);
      req.off('data', onData).off('end', onEnd).off('error', onError);
    }
    req.on('data', onData).on('end', onEnd).on('error', onError);
  });
}

function tooLarge(): GatehouseError {
  return new GatehouseError('too_large', `A form here is at most ${MAX_FORM_BYTES} bytes.`);
}
