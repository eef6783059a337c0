import { updateIntegration } from '../../core/integrationStore.js';
import { checkNameFree } from '../../core/integrationNames.js';
import { checkIntegrationName } from '../../core/integrations.js';
import type { CommandDef } from '../../shell/types.js';
import { ownerFor, requireOwned, teamOption } from './owner.js';
import { integrationNames } from './shared.js';

export const integrationsRename: CommandDef = {
  path: ['integrations', 'rename'],
  audit: { target: ([old, name]) => `integration ${old} to ${name}` },
  summary: 'rename an integration (its hostname NAME.int.DOMAIN, or NAME.team.DOMAIN, changes with it)',
  args: [{ name: 'NAME', complete: integrationNames }, { name: 'NEW' }],
  options: teamOption,
  examples: ['integrations rename keys my-keys', 'integrations rename shared team-keys --team'],
  async run(ctx, args) {
    const owner = await ownerFor(ctx, args);
    const i = await requireOwned(ctx, owner, args._[0]);
    const name = checkIntegrationName(args._[1]);
    // One namespace per user: a personal name may not be the team's, nor a team name any member's.
    await checkNameFree(ctx.db, owner, name, i.id);
    await updateIntegration(ctx.db, owner.userId, i.id, { name });
    if (args.json) ctx.out.json({ old: i.name, name, ...(owner.forTeam ? { team: owner.team!.team } : {}) });
    else ctx.out.line(`Renamed ${owner.forTeam ? `team "${owner.team!.team}" integration` : 'integration'} ${i.name} to ${name}`);
  },
};
