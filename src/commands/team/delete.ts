import { deleteTeam } from '../../core/teams.js';
import { GatehouseError } from '../../errors.js';
import type { CommandDef } from '../../shell/types.js';

export const teamDelete: CommandDef = {
  path: ['team', 'delete'],
  audit: {},
  summary: "delete your team with its integrations, their keys and its credits (owner only; asks for --yes)",
  options: { yes: { type: 'boolean', describe: 'really delete it' } },
  examples: ['team delete', 'team delete --yes'],
  async run(ctx, args) {
    const d = await deleteTeam(ctx.db, ctx.user, args.yes === true);
    ctx.audit.target(`team ${d.team}`);
    const what = `its ${d.members} member${d.members === 1 ? '' : 's'}' membership, ${d.integrations.length ? `its integrations (${d.integrations.join(', ')}) with their stored keys` : 'no integrations'}, and its credits`;
    if (!d.deleted) {
      throw new GatehouseError('invalid_input', `deleting team "${d.team}" removes ${what}; usage history is kept`, { hint: 'run "team delete --yes" to delete it' });
    }
    ctx.audit.note(`${d.members} members, ${d.integrations.length} integrations`);
    if (args.json) ctx.out.json({ deleted: d.team, members: d.members, integrations: d.integrations });
    else ctx.out.line(`Deleted team ${d.team}: ${d.members} member${d.members === 1 ? '' : 's'} released, ${d.integrations.length} integration${d.integrations.length === 1 ? '' : 's'} removed`);
  },
};
