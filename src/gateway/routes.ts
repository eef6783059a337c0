// Route matching (DESIGN.md §4 "Routes"): the metadata style /gateway/INTEGRATION/PROVIDER/REST
// on any host, and the integration hostnames NAME.int.DOMAIN with OpenAI-, Anthropic- and
// Gemini-shaped paths. Pure functions of host, method and path.
import { PROVIDER_IDS, type ProviderId } from '../config.js';

export type HostRoute = { kind: 'int'; name: string } | { kind: 'team'; name: string } | { kind: 'plain' };

export function hostRoute(host: string | undefined, domain: string): HostRoute {
  const h = (host ?? '').toLowerCase().replace(/:\d+$/, '').replace(/\.$/, '');
  const m = /^([a-z0-9-]+)\.(int|team)\.(.+)$/.exec(h);
  if (!m || m[3] !== domain) return { kind: 'plain' };
  return { kind: m[2] as 'int' | 'team', name: m[1] };
}

export type LlmRoute =
  | { kind: 'hello' }
  | { kind: 'models' }
  | { kind: 'models_json' }
  /** provider fixed by the path; rest is the provider's own path. */
  | { kind: 'proxy'; provider: ProviderId; rest: string }
  /** OpenAI-shaped API (chat/completions, responses, embeddings): the body's model picks the provider. */
  | { kind: 'by_model'; rest: string };

export function isHello(method: string, pathname: string): boolean {
  return (method === 'GET' || method === 'HEAD') && (pathname === '/' || pathname === '/api/hello');
}

/** /gateway/INTEGRATION/PROVIDER/REST */
export function metadataRoute(pathname: string): { integration: string; route: LlmRoute } | undefined {
  const m = /^\/gateway\/([^/]+)\/([^/]+)(\/.*)$/.exec(pathname);
  if (!m || !PROVIDER_IDS.includes(m[2] as ProviderId)) return undefined;
  return { integration: m[1], route: { kind: 'proxy', provider: m[2] as ProviderId, rest: m[3] } };
}

const OPENAI_SHAPED = /^\/v1(\/(chat\/completions|completions|responses|embeddings)(\/.*)?)$/;
const GEMINI_NATIVE = /^\/v1(beta)?\/models\/[^/]+:[A-Za-z]+$/;

export function llmHostRoute(method: string, pathname: string): LlmRoute | undefined {
  if (isHello(method, pathname)) return { kind: 'hello' };
  if (method === 'GET' && pathname === '/v1/models') return { kind: 'models' };
  if (method === 'GET' && pathname === '/models.json') return { kind: 'models_json' };
  if (pathname === '/v1/messages' || pathname.startsWith('/v1/messages/')) return { kind: 'proxy', provider: 'anthropic', rest: pathname };
  if (GEMINI_NATIVE.test(pathname) || pathname.startsWith('/v1beta/')) return { kind: 'proxy', provider: 'gemini', rest: pathname };
  const openai = OPENAI_SHAPED.exec(pathname);
  if (openai) return { kind: 'by_model', rest: openai[1] };
  const prefixed = /^\/([a-z]+)(\/.*)$/.exec(pathname);
  if (prefixed && PROVIDER_IDS.includes(prefixed[1] as ProviderId)) return { kind: 'proxy', provider: prefixed[1] as ProviderId, rest: prefixed[2] };
  return undefined;
}

/** The model named in a Gemini native path (/v1beta/models/MODEL:VERB). */
export function modelFromPath(rest: string): string | undefined {
  return /\/models\/([^/:]+):[A-Za-z]+$/.exec(rest)?.[1];
}
