import { listIntegrations } from '../../core/integrationStore.js';
import { integrationJson, summary } from '../../core/integrations.js';
import type { CommandDef } from '../../shell/types.js';

export const integrationsList: CommandDef = {
  path: ['integrations', 'list'],
  audit: 'read',
  aliases: ['ls'],
  summary: 'list your integrations: NAME  TYPE  SUMMARY  ATTACHMENTS',
  examples: ['integrations list', 'integrations list --json'],
  async run(ctx, args) {
    const all = await listIntegrations(ctx.db, ctx.user.id);
    if (args.json) return void ctx.out.json(all.map(integrationJson));
    if (all.length === 0) return void ctx.out.line('No integrations. Add one with: integrations add llm --name NAME');
    // One line each, fields two spaces apart (greppable; DESIGN.md §3).
    for (const i of all) ctx.out.line([ctx.out.c.bold(i.name), i.type, summary(i), i.attachments.join(',') || '-'].join('  '));
  },
};
