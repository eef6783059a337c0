import { changeRole } from '../../core/teams.js';
import type { CommandDef } from '../../shell/types.js';
import { memberNames, ROLE_WORDS } from './shared.js';

export const teamRole: CommandDef = {
  path: ['team', 'role'],
  audit: { target: ([user]) => (user === undefined ? undefined : `team member ${user}`) },
  summary: "change a member's role: admin or user (owner and admins)",
  args: [{ name: 'USER', complete: memberNames }, { name: 'ROLE', complete: async () => ROLE_WORDS }],
  examples: ['team role bob admin'],
  async run(ctx, args) {
    const changed = await changeRole(ctx.db, ctx.user, args._[0], args._[1]);
    ctx.audit.subject(changed.user.id);
    ctx.audit.note(`role ${changed.role}`);
    if (args.json) ctx.out.json({ team: changed.team, user: changed.user.name, role: changed.role });
    else ctx.out.line(`${changed.user.name} is now ${changed.role === 'admin' ? 'an admin' : 'a user'} of team ${changed.team}`);
  },
};
