import { attach, detach, requireIntegration, resolveAttachSpec } from '../../core/integrationStore.js';
import type { CommandDef } from '../../shell/types.js';
import { attachSpecs, integrationNames } from './shared.js';

const args = [{ name: 'NAME', complete: integrationNames }, { name: 'SPEC', complete: attachSpecs }];

export const integrationsAttach: CommandDef = {
  path: ['integrations', 'attach'],
  audit: { target: ([name]) => `integration ${name}` },
  summary: 'attach an integration to vm:NAME, tag:NAME or auto:all',
  args,
  examples: ['integrations attach keys vm:devbox', 'integrations attach keys tag:llm', 'integrations attach keys auto:all'],
  async run(ctx, a) {
    const i = await requireIntegration(ctx.db, ctx.user.id, a._[0]);
    const target = await resolveAttachSpec(ctx.db, ctx.user.id, a._[1]);
    await attach(ctx.db, i, target);
    ctx.audit.note(`attached ${target.label}`);
    if (a.json) ctx.out.json({ name: i.name, attached: target.label });
    else ctx.out.line(`Attached ${i.name} to ${target.label}`);
  },
};

export const integrationsDetach: CommandDef = {
  path: ['integrations', 'detach'],
  audit: { target: ([name]) => `integration ${name}` },
  summary: 'detach an integration from vm:NAME, tag:NAME or auto:all',
  args,
  examples: ['integrations detach keys vm:devbox'],
  async run(ctx, a) {
    const i = await requireIntegration(ctx.db, ctx.user.id, a._[0]);
    const target = await resolveAttachSpec(ctx.db, ctx.user.id, a._[1]);
    await detach(ctx.db, i, target);
    ctx.audit.note(`detached ${target.label}`);
    if (a.json) ctx.out.json({ name: i.name, detached: target.label });
    else ctx.out.line(`Detached ${i.name} from ${target.label}`);
  },
};
