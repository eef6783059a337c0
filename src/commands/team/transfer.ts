import { transferOwnership } from '../../core/teams.js';
import type { CommandDef } from '../../shell/types.js';
import { memberNames } from './shared.js';

export const teamTransfer: CommandDef = {
  path: ['team', 'transfer'],
  audit: { target: ([user]) => (user === undefined ? undefined : `team member ${user}`) },
  summary: 'make another member the owner; you stay as an admin (owner only)',
  args: [{ name: 'USER', complete: memberNames }],
  examples: ['team transfer bob'],
  async run(ctx, args) {
    const t = await transferOwnership(ctx.db, ctx.user, args._[0]);
    ctx.audit.subject(t.user.id);
    if (args.json) ctx.out.json({ team: t.team, owner: t.user.name, you: 'admin' });
    else ctx.out.line(`${t.user.name} is now the owner of team ${t.team}; you are an admin`);
  },
};
