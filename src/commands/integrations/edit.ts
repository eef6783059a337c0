import { attach, requireIntegration, resolveAttachSpec, storeKeys, type AttachTarget } from '../../core/integrationStore.js';
import { integrationJson, type LlmSettings, type ReflectionSettings } from '../../core/integrations.js';
import { deleteSecret, updateIntegration } from '../../db/integrations.js';
import type { CommandDef } from '../../shell/types.js';
import { applyLlmFlags, applyReflectionFlags, commentFrom, integrationOptions, rejectTeam } from './flags.js';
import { integrationNames, printUsageHints } from './shared.js';

export const integrationsEdit: CommandDef = {
  path: ['integrations', 'edit'],
  summary: 'change an integration; only the flags given change',
  args: [{ name: 'NAME', complete: integrationNames }],
  options: integrationOptions,
  examples: ['integrations edit llm --openai=disabled', 'printf %s "$KEY" | ssh HOST integrations edit keys --gemini=byok --gemini-key=-', 'integrations edit about --fields none'],
  async run(ctx, args) {
    rejectTeam(args);
    const current = await requireIntegration(ctx.db, ctx.user.id, args._[0]);
    const targets: AttachTarget[] = [];
    for (const spec of (args.attach as string[] | undefined) ?? []) targets.push(await resolveAttachSpec(ctx.db, ctx.user.id, spec));
    const comment = commentFrom(args);
    // Read keys (maybe from a prompt) before the transaction: it holds the only database connection.
    const llm = current.type === 'llm' ? await applyLlmFlags(ctx, args, current.settings as LlmSettings, current.keyedProviders) : undefined;
    const settings = llm ? llm.settings : { fields: applyReflectionFlags(args, (current.settings as ReflectionSettings).fields) };
    await ctx.db.transaction().execute(async (trx) => {
      await updateIntegration(trx, ctx.user.id, current.id, { settings, comment });
      if (llm) {
        await storeKeys(trx, ctx.services.sealer, current.id, llm.keys);
        for (const p of llm.dropKeys) await deleteSecret(trx, current.id, p);
      }
      // Only targets not attached yet, each once: `--attach tag:x --attach tag:x` is one attachment.
      const seen = new Set(current.attachments);
      for (const t of targets) {
        if (seen.has(t.label)) continue;
        seen.add(t.label);
        await attach(trx, current, t);
      }
    });
    const updated = await requireIntegration(ctx.db, ctx.user.id, current.name);
    if (args.json) return void ctx.out.json(integrationJson(updated));
    ctx.out.line(`Updated integration ${ctx.out.c.bold(updated.name)}`);
    printUsageHints(ctx, updated);
  },
};
