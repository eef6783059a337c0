// OpenAI chat streams carry usage only when the client asks (stream_options.include_usage). To
// meter streams whose client did not ask, the gateway asks upstream, then hides what the client
// would not have seen: the final usage-only chunk, and the "usage":null that every chunk gains.
// Only whole events are rewritten; a partial event waits for its end (normally the same chunk).
import { StringDecoder } from 'node:string_decoder';
import { isUsageOnlyChunk } from '../providers/usage.js';

export function askForUsage(json: Record<string, unknown>): Buffer | undefined {
  const options = json.stream_options as Record<string, unknown> | undefined;
  if (json.stream !== true || options?.include_usage === true) return undefined;
  return Buffer.from(JSON.stringify({ ...json, stream_options: { ...(options ?? {}), include_usage: true } }));
}

export class UsageChunkHider {
  private pending = '';
  private readonly decoder = new StringDecoder('utf8');

  push(chunk: Buffer): Buffer {
    this.pending += this.decoder.write(chunk);
    const cut = Math.max(this.pending.lastIndexOf('\n\n'), this.pending.lastIndexOf('\r\n\r\n'));
    if (cut === -1) return Buffer.alloc(0);
    const end = this.pending.startsWith('\r\n\r\n', cut) ? cut + 4 : cut + 2;
    const whole = this.pending.slice(0, end);
    this.pending = this.pending.slice(end);
    return Buffer.from(hide(whole));
  }

  end(): Buffer {
    // A last event without its blank line (the stream ended early) is still filtered.
    const rest = this.pending + this.decoder.end();
    this.pending = '';
    return Buffer.from(hide(rest));
  }
}

function hide(events: string): string {
  return events
    .split(/(?<=\r?\n\r?\n)/)
    .filter((event) => {
      const data = /^data: (\{.*\})\s*$/m.exec(event)?.[1];
      if (!data) return true;
      try {
        return !isUsageOnlyChunk(JSON.parse(data));
      } catch {
        return true;
      }
    })
    .map((event) => event.replace(/,\s*"usage"\s*:\s*null(?=\s*[,}])|"usage"\s*:\s*null\s*,\s*/, ''))
    .join('');
}
