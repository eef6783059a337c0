// A caller that presents a gatehouse API key (Authorization: Bearer gk_…, x-api-key or
// x-goog-api-key) acts for the key's user, on the integrations and models in its scope.
// An unknown, revoked or expired key is refused at once: clients such as Claude Code retry 401s.
// An unscoped key (integrations null: "all of yours") covers the holder's team's integrations too,
// as `integrations list` shows them as theirs; only while they are a member, which integrationFor
// (caller.ts) reads from the index on every request.
import type { IncomingMessage } from 'node:http';
import type { ApiKeyIndex } from '../core/apiKeyIndex.js';
import { API_KEY_PATTERN, presentedKey } from '../core/apiKeys.js';
import { GatehouseError } from '../errors.js';
import type { Caller } from './caller.js';

export async function keyCaller(req: IncomingMessage, keys: ApiKeyIndex): Promise<Caller | undefined> {
  const secret = presentedKey(req.headers);
  if (secret === undefined) return undefined;
  const key = API_KEY_PATTERN.test(secret) ? await keys.find(secret) : undefined;
  if (!key) throw new GatehouseError('unauthenticated', 'invalid API key: it is unknown, revoked or expired; mint a new one over SSH with "keys create"');
  return {
    userId: key.userId,
    apiKey: key,
    may: (i) => key.integrations === null || key.integrations.includes(i.id),
    denyHint: (i) => `API key "${key.name}" is not scoped to integration "${i.name}"; create a key that is: keys create --name NAME --integration ${i.name}`,
  };
}
