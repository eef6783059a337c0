// "integrations test": one cheap authenticated call (the models list) per provider key.
// The outcome says only ok / rejected / unreachable: never the key, never upstream's body.
import type { Provider } from '../providers/provider.js';

export type ProbeOutcome = 'ok' | `rejected (${number})` | 'unreachable' | `error (${number})`;

export async function probeProvider(provider: Provider, upstream: string, key: string, timeoutMs = 10_000): Promise<ProbeOutcome> {
  const [header, value] = provider.credentialHeader(key);
  return probeUrl(upstream + provider.apiPrefix + provider.modelsPath, { ...provider.defaultHeaders, [header]: value }, provider.badKeyStatuses, timeoutMs);
}

/** One GET of a models list with the given credential headers (also the ChatGPT backend's). */
export async function probeUrl(url: string, headers: Record<string, string>, badKeyStatuses: number[], timeoutMs = 10_000): Promise<ProbeOutcome> {
  try {
    const res = await fetch(url, { headers: { ...headers, accept: 'application/json' }, signal: AbortSignal.timeout(timeoutMs), redirect: 'manual' });
    await res.body?.cancel();
    if (res.ok) return 'ok';
    if (badKeyStatuses.includes(res.status)) return `rejected (${res.status})`;
    return `error (${res.status})`;
  } catch {
    return 'unreachable';
  }
}
