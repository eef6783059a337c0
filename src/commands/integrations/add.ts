import { createIntegration, requireIntegration, resolveAttachSpec, type AttachTarget } from '../../core/integrationStore.js';
import { checkNameFree } from '../../core/integrationNames.js';
import { checkIntegrationName, defaultLlmSettings, INTEGRATION_TYPES, integrationJson, type IntegrationType, type Settings } from '../../core/integrations.js';
import { shown } from '../../core/names.js';
import { GatehouseError } from '../../errors.js';
import type { CommandDef } from '../../shell/types.js';
import { applyLlmFlags, applyReflectionFlags, commentFrom, integrationOptions } from './flags.js';
import { checkTeamFlags, ownerFor } from './owner.js';
import { printUsageHints } from './shared.js';

export const integrationsAdd: CommandDef = {
  path: ['integrations', 'add'],
  audit: {},
  summary: "add an llm or reflection integration (--team: your team's, served at NAME.team.DOMAIN)",
  args: [{ name: 'TYPE', complete: async () => [...INTEGRATION_TYPES] }],
  options: { name: { type: 'string', value: 'NAME', describe: 'a DNS label, unique among your and your team’s integrations (required)' }, ...integrationOptions },
  examples: [
    "printf %s \"$ANTHROPIC_API_KEY\" | ssh HOST integrations add llm --name keys --anthropic=byok --anthropic-key=- --openai=disabled --attach tag:llm",
    'integrations add llm --name claude-only --models "claude-*" --attach vm:devbox',
    'integrations add reflection --name about --fields email,tags --attach auto:all',
    "printf %s \"$KEY\" | ssh HOST integrations add llm --name shared --team --anthropic=byok --anthropic-key=- --attach tag:dev",
  ],
  async run(ctx, args) {
    const type = args._[0] as IntegrationType;
    if (!INTEGRATION_TYPES.includes(type)) throw new GatehouseError('invalid_input', `unknown integration type "${shown(args._[0])}": use llm or reflection`);
    if (args.name === undefined) throw new GatehouseError('usage', 'missing --name', { hint: `e.g. integrations add ${type} --name my-${type}` });
    const name = checkIntegrationName(String(args.name));
    checkTeamFlags(args);
    // Reflection tells a VM about its owner: a team has nothing of its own to tell.
    if (args.team === true && type !== 'llm') throw new GatehouseError('invalid_input', 'team integrations are llm integrations only: leave out --team for a reflection integration');
    const owner = await ownerFor(ctx, args);
    // Before any key is read (maybe at a prompt): a taken name must not cost a typed key.
    await checkNameFree(ctx.db, owner, name);
    const targets: AttachTarget[] = [];
    for (const spec of (args.attach as string[] | undefined) ?? []) targets.push(await resolveAttachSpec(ctx.db, owner.userId, spec));
    let settings: Settings;
    let keys = {};
    if (type === 'llm') {
      const change = await applyLlmFlags(ctx, args, defaultLlmSettings(), []);
      settings = change.settings;
      keys = change.keys;
    } else {
      settings = { fields: applyReflectionFlags(args, undefined) } as Settings;
    }
    ctx.audit.target(`integration ${name}`);
    for (const p of Object.keys(keys)) ctx.audit.note(`${p} key set`); // which provider, never the key
    for (const t of targets) ctx.audit.note(`attached ${t.label}`);
    // Keys are sealed bound to the new integration's id (createIntegration → storeKeys), whoever owns it.
    await createIntegration(ctx.db, ctx.services.sealer, owner.userId, { name, type, settings, comment: commentFrom(args) ?? null, keys, attach: targets });
    const made = await requireIntegration(ctx.db, owner.userId, name);
    const created = owner.forTeam ? { ...made, teamId: owner.team!.teamId, teamName: owner.team!.team } : made;
    if (args.json) return void ctx.out.json(integrationJson(created));
    ctx.out.line(`Added ${owner.forTeam ? `team "${owner.team!.team}" ` : ''}integration ${ctx.out.c.bold(name)}`);
    printUsageHints(ctx, created);
  },
};
