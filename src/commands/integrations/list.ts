import { listVisibleIntegrations } from '../../core/integrationNames.js';
import { integrationJson, summary } from '../../core/integrations.js';
import type { CommandDef } from '../../shell/types.js';

export const integrationsList: CommandDef = {
  path: ['integrations', 'list'],
  audit: 'read',
  aliases: ['ls'],
  summary: 'list your integrations and your team’s: NAME  TYPE  SUMMARY  ATTACHMENTS, then (team) on a team’s',
  examples: ['integrations list', 'integrations list --json'],
  async run(ctx, args) {
    // Every member sees the team's integrations (never a key: summaries say only "byok").
    const all = await listVisibleIntegrations(ctx.db, ctx.user.id);
    if (args.json) return void ctx.out.json(all.map(integrationJson));
    if (all.length === 0) return void ctx.out.line('No integrations. Add one with: integrations add llm --name NAME');
    // One line each, fields two spaces apart (greppable; DESIGN.md §3); a team's marked last, so the
    // first four fields mean the same on every line.
    const team = ctx.out.c.dim('(team)');
    for (const i of all) ctx.out.line([ctx.out.c.bold(i.name), i.type, summary(i), i.attachments.join(',') || '-', ...(i.teamName !== undefined ? [team] : [])].join('  '));
  },
};
