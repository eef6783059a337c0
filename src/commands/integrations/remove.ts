import { requireIntegration } from '../../core/integrationStore.js';
import { deleteIntegration } from '../../db/integrations.js';
import type { CommandDef } from '../../shell/types.js';
import { integrationNames } from './shared.js';

export const integrationsRemove: CommandDef = {
  path: ['integrations', 'remove'],
  audit: { target: ([name]) => `integration ${name}` },
  aliases: ['rm'],
  summary: 'remove an integration, its stored keys and its attachments',
  args: [{ name: 'NAME', complete: integrationNames }],
  examples: ['integrations remove keys'],
  async run(ctx, args) {
    const i = await requireIntegration(ctx.db, ctx.user.id, args._[0]);
    await deleteIntegration(ctx.db, ctx.user.id, i.id);
    if (args.json) ctx.out.json({ removed: i.name });
    else ctx.out.line(`Removed integration ${i.name}`);
  },
};
