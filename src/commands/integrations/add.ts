import { createIntegration, requireIntegration, resolveAttachSpec, type AttachTarget } from '../../core/integrationStore.js';
import { checkIntegrationName, defaultLlmSettings, INTEGRATION_TYPES, integrationJson, type IntegrationType, type Settings } from '../../core/integrations.js';
import { findIntegrationRow } from '../../db/integrations.js';
import { shown } from '../../core/names.js';
import { GatehouseError } from '../../errors.js';
import type { CommandDef } from '../../shell/types.js';
import { applyLlmFlags, applyReflectionFlags, commentFrom, integrationOptions, rejectTeam } from './flags.js';
import { printUsageHints } from './shared.js';

export const integrationsAdd: CommandDef = {
  path: ['integrations', 'add'],
  audit: {},
  summary: 'add an llm or reflection integration',
  args: [{ name: 'TYPE', complete: async () => [...INTEGRATION_TYPES] }],
  options: { name: { type: 'string', value: 'NAME', describe: 'a DNS label, unique among your integrations (required)' }, ...integrationOptions },
  examples: [
    "printf %s \"$ANTHROPIC_API_KEY\" | ssh HOST integrations add llm --name keys --anthropic=byok --anthropic-key=- --openai=disabled --attach tag:llm",
    'integrations add llm --name claude-only --models "claude-*" --attach vm:devbox',
    'integrations add reflection --name about --fields email,tags --attach auto:all',
  ],
  async run(ctx, args) {
    const type = args._[0] as IntegrationType;
    if (!INTEGRATION_TYPES.includes(type)) throw new GatehouseError('invalid_input', `unknown integration type "${shown(args._[0])}": use llm or reflection`);
    rejectTeam(args);
    if (args.name === undefined) throw new GatehouseError('usage', 'missing --name', { hint: `e.g. integrations add ${type} --name my-${type}` });
    const name = checkIntegrationName(String(args.name));
    // Before any key is read (maybe at a prompt): a taken name must not cost a typed key.
    if (await findIntegrationRow(ctx.db, ctx.user.id, name)) {
      throw new GatehouseError('conflict', `you already have an integration named "${name}"`, { hint: 'choose another --name, or change it with "integrations edit"' });
    }
    const targets: AttachTarget[] = [];
    for (const spec of (args.attach as string[] | undefined) ?? []) targets.push(await resolveAttachSpec(ctx.db, ctx.user.id, spec));
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
    await createIntegration(ctx.db, ctx.services.sealer, ctx.user.id, { name, type, settings, comment: commentFrom(args) ?? null, keys, attach: targets });
    const created = await requireIntegration(ctx.db, ctx.user.id, name);
    if (args.json) return void ctx.out.json(integrationJson(created));
    ctx.out.line(`Added integration ${ctx.out.c.bold(name)}`);
    printUsageHints(ctx, created);
  },
};
