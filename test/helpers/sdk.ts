// For the SDK suites: connections that leave from a VM's address with every hostname resolved to
// loopback (so NAME.int.DOMAIN reaches the test gateway), and a Responses stream read to its end.
import type { LookupAddress } from 'node:dns';
import { Agent } from 'undici';

/** An undici dispatcher whose connections leave from `from` and resolve any host to 127.0.0.1 (close it after). */
export function vmDispatcher(from: string): Agent {
  const lookup = (_host: string, options: { all?: boolean }, cb: (err: Error | null, address: string | LookupAddress[], family?: number) => void) =>
    options.all ? cb(null, [{ address: '127.0.0.1', family: 4 }]) : cb(null, '127.0.0.1', 4);
  return new Agent({ localAddress: from, connect: { lookup: lookup as never } });
}

/** The text of a Responses stream's deltas, and whether it ended with response.completed. */
export async function readResponsesStream(stream: AsyncIterable<{ type: string; delta?: unknown }>): Promise<{ text: string; completed: boolean }> {
  let text = '';
  let completed = false;
  for await (const event of stream) {
    if (event.type === 'response.output_text.delta') text += String(event.delta);
    if (event.type === 'response.completed') completed = true;
  }
  return { text, completed };
}
