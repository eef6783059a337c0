import { addMember } from '../../core/teams.js';
import type { CommandDef } from '../../shell/types.js';
import { ROLE_WORDS } from './shared.js';

export const teamAdd: CommandDef = {
  path: ['team', 'add'],
  audit: { target: ([user]) => (user === undefined ? undefined : `team member ${user}`) },
  summary: 'add an existing account to your team, by user name or email (owner and admins)',
  args: [{ name: 'USER' }, { name: 'ROLE', optional: true, complete: async () => ROLE_WORDS }],
  examples: ['team add bob', 'team add carol@example.com admin'],
  async run(ctx, args) {
    const added = await addMember(ctx.db, ctx.user, args._[0], args._[1]);
    ctx.audit.subject(added.user.id);
    ctx.audit.note(`role ${added.role}`);
    if (args.json) ctx.out.json({ team: added.team, added: added.user.name, role: added.role });
    else ctx.out.line(`Added ${added.user.name} to team ${added.team} as ${added.role}`);
  },
};
