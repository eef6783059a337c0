// Which headers cross the gateway. Toward upstream: everything end-to-end (anthropic-beta,
// openai-beta, x-stainless-*, session ids …) except hop-by-hop headers, the client's credentials
// and forwarding headers. Toward the client: everything but hop-by-hop headers.
import type { IncomingHttpHeaders } from 'node:http';

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'host', 'content-length', 'expect', 'http2-settings']);
const CLIENT_ONLY = new Set(['authorization', 'x-api-key', 'x-goog-api-key', 'cookie', 'forwarded', 'x-forwarded-for', 'x-forwarded-host', 'x-forwarded-proto', 'x-real-ip', 'accept-encoding']);

const NONE: ReadonlySet<string> = new Set();

function namedByConnection(headers: Record<string, string | string[] | undefined>): ReadonlySet<string> {
  const c = headers.connection;
  // The common values name no header beyond the hop-by-hop ones: skip building a set per request.
  if (!c || c === 'keep-alive') return NONE;
  return new Set(String(c).toLowerCase().split(',').map((s) => s.trim()));
}

type Pair = readonly [name: string, value: string];

/**
 * The client's end-to-end headers, the provider's defaults where the client sent none, and the
 * credential: one header (a key), or several (a ChatGPT account's token and account id), which
 * replace whatever the client sent under those names.
 */
export function upstreamHeaders(client: IncomingHttpHeaders, defaults: Record<string, string>, credential: Pair | readonly Pair[]): Record<string, string | string[]> {
  const extra = namedByConnection(client);
  const out: Record<string, string | string[]> = {};
  for (const name in client) {
    const value = client[name];
    if (value === undefined || HOP_BY_HOP.has(name) || CLIENT_ONLY.has(name) || extra.has(name)) continue;
    out[name] = value;
  }
  for (const [name, value] of Object.entries(defaults)) if (out[name] === undefined) out[name] = value;
  // Usage is read from the response as it passes, so it must arrive uncompressed.
  out['accept-encoding'] = 'identity';
  if (typeof credential[0] === 'string') out[credential[0]] = (credential as Pair)[1];
  else for (const [name, value] of credential as readonly Pair[]) out[name] = value;
  return out;
}

export function clientHeaders(upstream: Record<string, string | string[] | undefined>): Record<string, string | string[]> {
  const extra = namedByConnection(upstream);
  const out: Record<string, string | string[]> = {};
  for (const name in upstream) {
    const value = upstream[name];
    // The request id is the gateway's own: an upstream may not replace it.
    if (value === undefined || HOP_BY_HOP.has(name) || extra.has(name) || name === 'x-gatehouse-request-id') continue;
    out[name] = value;
  }
  if (upstream['content-length'] !== undefined) out['content-length'] = upstream['content-length'];
  return out;
}
