import { removeMember } from '../../core/teams.js';
import type { CommandDef } from '../../shell/types.js';
import { memberNames } from './shared.js';

export const teamRemove: CommandDef = {
  path: ['team', 'remove'],
  audit: { target: ([user]) => (user === undefined ? undefined : `team member ${user}`) },
  aliases: ['rm'],
  summary: "remove a member from your team; their VMs and keys lose the team's integrations at once (owner and admins)",
  args: [{ name: 'USER', complete: memberNames }],
  examples: ['team remove bob'],
  async run(ctx, args) {
    const removed = await removeMember(ctx.db, ctx.user, args._[0]);
    ctx.audit.subject(removed.user.id);
    if (args.json) ctx.out.json({ team: removed.team, removed: removed.user.name });
    else ctx.out.line(`Removed ${removed.user.name} from team ${removed.team}`);
  },
};
