// Where a Responses WebSocket is served: exactly the paths where HTTP serves the OpenAI Responses
// API of an integration (DESIGN.md §4 "Routes"), i.e. /v1/responses and /openai/v1/responses on
// an integration hostname (personal or team), /gateway/INTEGRATION/openai/v1/responses on any
// host. Anything else (Anthropic, Gemini, Fireworks paths, other OpenAI endpoints) has no
// WebSocket to relay to.
import type { Where } from './caller.js';
import { hostRoute, llmHostRoute, metadataRoute } from './routes.js';
import { parseTarget } from './target.js';

export interface SocketRoute {
  integration: string;
  /** Where it was named: a personal or team hostname, or the metadata path (caller.ts). */
  where: Where;
  /** The query, passed on upstream as HTTP does. */
  search: string;
}

export function socketRoute(host: string | undefined, url: string | undefined, domain: string): SocketRoute | undefined {
  let target;
  try {
    target = parseTarget(url);
  } catch {
    return undefined;
  }
  const h = hostRoute(host, domain);
  if (h.kind === 'plain') {
    const meta = metadataRoute(target.pathname);
    const ok = meta?.route.kind === 'proxy' && meta.route.provider === 'openai' && meta.route.rest === '/v1/responses';
    return ok ? { integration: meta.integration, where: 'path', search: target.search } : undefined;
  }
  const route = llmHostRoute('GET', target.pathname);
  const ok = (route?.kind === 'by_model' && route.rest === '/responses') || (route?.kind === 'proxy' && route.provider === 'openai' && route.rest === '/v1/responses');
  return ok ? { integration: h.name, where: h.kind, search: target.search } : undefined;
}
