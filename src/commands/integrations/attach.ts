import { attach, detach, resolveAttachSpec } from '../../core/integrationStore.js';
import type { CommandDef, ParsedArgs } from '../../shell/types.js';
import { checkTeamSpec, ownerFor, requireOwned, teamOption } from './owner.js';
import { attachSpecs, integrationNames } from './shared.js';

const args = [{ name: 'NAME', complete: integrationNames }, { name: 'SPEC', complete: attachSpecs }];

/** A team integration takes tag: only; said before the role is checked, as the flags' own error. */
const teamSpec = (a: ParsedArgs) => a.team === true && checkTeamSpec(a._[1]);

export const integrationsAttach: CommandDef = {
  path: ['integrations', 'attach'],
  audit: { target: ([name]) => `integration ${name}` },
  summary: 'attach an integration to vm:NAME, tag:NAME or auto:all (--team: your team’s, to tag:NAME only)',
  args,
  options: teamOption,
  examples: ['integrations attach keys vm:devbox', 'integrations attach keys tag:llm', 'integrations attach keys auto:all', 'integrations attach shared tag:dev --team'],
  async run(ctx, a) {
    teamSpec(a);
    const owner = await ownerFor(ctx, a);
    const i = await requireOwned(ctx, owner, a._[0]);
    const target = await resolveAttachSpec(ctx.db, owner.userId, a._[1]);
    await attach(ctx.db, i, target);
    ctx.audit.note(`attached ${target.label}`);
    if (a.json) ctx.out.json({ name: i.name, attached: target.label, ...(owner.forTeam ? { team: owner.team!.team } : {}) });
    else ctx.out.line(`Attached ${owner.forTeam ? `team "${owner.team!.team}" integration ` : ''}${i.name} to ${target.label}`);
  },
};

export const integrationsDetach: CommandDef = {
  path: ['integrations', 'detach'],
  audit: { target: ([name]) => `integration ${name}` },
  summary: 'detach an integration from vm:NAME, tag:NAME or auto:all (--team: your team’s)',
  args,
  options: teamOption,
  examples: ['integrations detach keys vm:devbox', 'integrations detach shared tag:dev --team'],
  async run(ctx, a) {
    teamSpec(a);
    const owner = await ownerFor(ctx, a);
    const i = await requireOwned(ctx, owner, a._[0]);
    const target = await resolveAttachSpec(ctx.db, owner.userId, a._[1]);
    await detach(ctx.db, i, target);
    ctx.audit.note(`detached ${target.label}`);
    if (a.json) ctx.out.json({ name: i.name, detached: target.label, ...(owner.forTeam ? { team: owner.team!.team } : {}) });
    else ctx.out.line(`Detached ${owner.forTeam ? `team "${owner.team!.team}" integration ` : ''}${i.name} from ${target.label}`);
  },
};
