import { createTeam } from '../../core/teams.js';
import type { CommandDef } from '../../shell/types.js';

export const teamCreate: CommandDef = {
  path: ['team', 'create'],
  audit: { target: ([name]) => (name === undefined ? undefined : `team ${name}`) },
  summary: 'create a team and become its owner (a user belongs to at most one team)',
  args: [{ name: 'NAME' }],
  examples: ['team create acme'],
  async run(ctx, args) {
    const m = await createTeam(ctx.db, ctx.user, args._[0]);
    if (args.json) return void ctx.out.json({ team: m.team, role: m.role });
    ctx.out.line(`Created team ${m.team}; you are its owner.`);
    ctx.out.line(`Add members with ${ctx.out.c.cyan('team add USER [admin|user]')}; add team integrations with ${ctx.out.c.cyan('integrations add llm --name NAME --team --attach tag:TAG')}`);
  },
};
