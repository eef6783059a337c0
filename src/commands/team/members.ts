import { requireMembership } from '../../core/teams.js';
import { listMembers } from '../../db/teams.js';
import type { CommandDef } from '../../shell/types.js';

export const teamMembers: CommandDef = {
  path: ['team', 'members'],
  audit: 'read',
  summary: "your team's members and their roles (also: team alone)",
  examples: ['team', 'team members --json'],
  async run(ctx, args) {
    const m = await requireMembership(ctx.db, ctx.user.id);
    const members = await listMembers(ctx.db, m.teamId);
    if (args.json) return void ctx.out.json({ team: m.team, role: m.role, members: members.map((u) => ({ name: u.name, email: u.email, role: u.role })) });
    ctx.out.line(`Team ${ctx.out.c.bold(m.team)} (you: ${m.role})`);
    ctx.out.table(members.map((u) => [u.name, u.email ?? '-', u.role]), ['NAME', 'EMAIL', 'ROLE']);
  },
};
