import { listApiKeys } from '../../db/apiKeys.js';
import type { CommandDef } from '../../shell/types.js';
import { apiKeyJson, scopeNamer } from './shared.js';

export const keysList: CommandDef = {
  path: ['keys', 'list'],
  audit: 'read',
  aliases: ['ls'],
  summary: 'list your API keys (never the keys themselves)',
  examples: ['keys list', 'keys list --json'],
  async run(ctx, args) {
    const keys = await listApiKeys(ctx.db, ctx.user.id);
    const scope = await scopeNamer(ctx);
    if (args.json) return void ctx.out.json(keys.map((k) => apiKeyJson(k, scope(k))));
    if (keys.length === 0) return void ctx.out.line('No API keys. Mint one with: keys create --name NAME');
    const day = (iso: string | null) => (iso ? iso.slice(0, 16).replace('T', ' ') : '-');
    const expired = (iso: string | null) => iso !== null && Date.parse(iso) <= Date.now();
    ctx.out.table(
      keys.map((k) => [
        k.name,
        `${k.prefix}…`,
        `integrations=${[scope(k)].flat().join(',') || '(none left)'} models=${k.models ? JSON.parse(k.models).join(',') : 'all'}`,
        day(k.created_at),
        day(k.last_used_at),
        expired(k.expires_at) ? ctx.out.c.red(`expired ${day(k.expires_at)}`) : day(k.expires_at),
      ]),
      ['NAME', 'KEY', 'SCOPE', 'CREATED', 'LAST USED', 'EXPIRES'],
    );
  },
};
