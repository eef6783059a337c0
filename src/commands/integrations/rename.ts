import { requireIntegration, updateIntegration } from '../../core/integrationStore.js';
import { checkIntegrationName } from '../../core/integrations.js';
import { findIntegrationRow } from '../../db/integrations.js';
import { GatehouseError } from '../../errors.js';
import type { CommandDef } from '../../shell/types.js';
import { integrationNames } from './shared.js';

export const integrationsRename: CommandDef = {
  path: ['integrations', 'rename'],
  audit: { target: ([old, name]) => `integration ${old} to ${name}` },
  summary: 'rename an integration (its hostname NAME.int.DOMAIN changes with it)',
  args: [{ name: 'NAME', complete: integrationNames }, { name: 'NEW' }],
  examples: ['integrations rename keys my-keys'],
  async run(ctx, args) {
    const i = await requireIntegration(ctx.db, ctx.user.id, args._[0]);
    const name = checkIntegrationName(args._[1]);
    if (name !== i.name && (await findIntegrationRow(ctx.db, ctx.user.id, name))) throw new GatehouseError('conflict', `you already have an integration named "${name}"`);
    await updateIntegration(ctx.db, ctx.user.id, i.id, { name });
    if (args.json) ctx.out.json({ old: i.name, name });
    else ctx.out.line(`Renamed integration ${i.name} to ${name}`);
  },
};
