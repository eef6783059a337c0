import { deleteApiKey, findApiKey } from '../../db/apiKeys.js';
import { shown } from '../../core/names.js';
import { GatehouseError } from '../../errors.js';
import type { CommandDef } from '../../shell/types.js';
import { apiKeyNames } from './shared.js';

export const keysRevoke: CommandDef = {
  path: ['keys', 'revoke'],
  audit: { target: ([name]) => `api key ${name}` },
  summary: 'revoke an API key; its next request is refused',
  args: [{ name: 'NAME', complete: apiKeyNames }],
  examples: ['keys revoke laptop'],
  async run(ctx, args) {
    const key = await findApiKey(ctx.db, ctx.user.id, args._[0]);
    if (!key) throw new GatehouseError('not_found', `API key "${shown(args._[0])}" not found`, { hint: 'run "keys list" to see yours' });
    await deleteApiKey(ctx.db, ctx.user.id, key.id);
    if (args.json) ctx.out.json({ revoked: key.name });
    else ctx.out.line(`Revoked API key ${key.name}`);
  },
};
