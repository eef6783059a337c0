// "integrations test": one cheap authenticated call (the models list) per provider key.
// The outcome says only ok / rejected / unreachable: never the key, never upstream's body.
import type { Provider } from '../providers/provider.js';

export type ProbeOutcome = 'ok' | `rejected (${number})` | 'unreachable' | `error (${number})`;

export async function probeProvider(provider: Provider, upstream: string, key: string, timeoutMs = 10_000): Promise<ProbeOutcome> {
  const [header, value] = provider.credentialHeader(key);
  try {
    const res = await fetch(upstream + provider.apiPrefix + provider.modelsPath, {
      headers: { ...provider.defaultHeaders, [header]: value, accept: 'application/json' },
      signal: AbortSignal.timeout(timeoutMs),
      redirect: 'manual',
    });
    await res.body?.cancel();
    if (res.ok) return 'ok';
    if (provider.badKeyStatuses.includes(res.status)) return `rejected (${res.status})`;
    return `error (${res.status})`;
  } catch {
    return 'unreachable';
  }
}
