import { listVisibleIntegrations } from '../../core/integrationNames.js';
import { listApiKeys } from '../../db/apiKeys.js';
import type { ApiKeyRow } from '../../db/schema.js';
import type { CommandContext } from '../../shell/types.js';

export async function apiKeyNames(ctx: CommandContext): Promise<string[]> {
  return (await listApiKeys(ctx.db, ctx.user.id)).map((k) => k.name);
}

/**
 * A key's integration scope by current name (it is stored by id, so renames follow). The team's
 * integrations count while the user is a member; after they leave, those ids name nothing.
 */
export async function scopeNamer(ctx: CommandContext): Promise<(k: ApiKeyRow) => string[] | 'all'> {
  const names = new Map((await listVisibleIntegrations(ctx.db, ctx.user.id)).map((i) => [i.id, i.name]));
  return (k) => (k.integrations ? (JSON.parse(k.integrations) as number[]).map((id) => names.get(id)).filter((n): n is string => n !== undefined) : 'all');
}

export function apiKeyJson(k: ApiKeyRow, integrations: string[] | 'all'): object {
  return {
    name: k.name,
    prefix: k.prefix,
    integrations,
    models: k.models ? JSON.parse(k.models) : 'all',
    created_at: k.created_at,
    last_used_at: k.last_used_at,
    expires_at: k.expires_at,
  };
}
