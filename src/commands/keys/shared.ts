import { listApiKeys } from '../../db/apiKeys.js';
import type { ApiKeyRow } from '../../db/schema.js';
import type { CommandContext } from '../../shell/types.js';

export async function apiKeyNames(ctx: CommandContext): Promise<string[]> {
  return (await listApiKeys(ctx.db, ctx.user.id)).map((k) => k.name);
}

export function apiKeyJson(k: ApiKeyRow): object {
  return {
    name: k.name,
    prefix: k.prefix,
    integrations: k.integrations ? JSON.parse(k.integrations) : 'all',
    models: k.models ? JSON.parse(k.models) : 'all',
    created_at: k.created_at,
    last_used_at: k.last_used_at,
    expires_at: k.expires_at,
  };
}
