import { deleteIntegration } from '../../db/integrations.js';
import type { CommandDef } from '../../shell/types.js';
import { ownerFor, requireOwned, teamOption } from './owner.js';
import { integrationNames } from './shared.js';

export const integrationsRemove: CommandDef = {
  path: ['integrations', 'remove'],
  audit: { target: ([name]) => `integration ${name}` },
  aliases: ['rm'],
  summary: 'remove an integration, its stored keys and its attachments (--team: your team’s)',
  args: [{ name: 'NAME', complete: integrationNames }],
  options: teamOption,
  examples: ['integrations remove keys', 'integrations remove shared --team'],
  async run(ctx, args) {
    const owner = await ownerFor(ctx, args);
    const i = await requireOwned(ctx, owner, args._[0]);
    await deleteIntegration(ctx.db, owner.userId, i.id);
    if (args.json) ctx.out.json({ removed: i.name, ...(owner.forTeam ? { team: owner.team!.team } : {}) });
    else ctx.out.line(`Removed ${owner.forTeam ? `team "${owner.team!.team}" integration` : 'integration'} ${i.name}`);
  },
};
