import { leaveTeam } from '../../core/teams.js';
import type { CommandDef } from '../../shell/types.js';

export const teamLeave: CommandDef = {
  path: ['team', 'leave'],
  audit: {},
  summary: "leave your team; your VMs and keys lose its integrations at once (not the owner)",
  examples: ['team leave'],
  async run(ctx, args) {
    const left = await leaveTeam(ctx.db, ctx.user);
    ctx.audit.target(`team ${left.team}`);
    if (args.json) ctx.out.json({ left: left.team });
    else ctx.out.line(`You left team ${left.team}`);
  },
};
