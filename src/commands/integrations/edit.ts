import { attachIfAbsent, lockIntegration, requireIntegration, resolveAttachSpec, storeKeys, type AttachTarget } from '../../core/integrationStore.js';
import { integrationJson, type LlmSettings, type ReflectionSettings } from '../../core/integrations.js';
import { deleteSecret, updateIntegration } from '../../db/integrations.js';
import type { CommandContext, CommandDef } from '../../shell/types.js';
import { applyLlmFlags, applyReflectionFlags, commentFrom, integrationOptions, llmSettingsFrom, rejectTeam } from './flags.js';
import { integrationNames, printUsageHints } from './shared.js';

export const integrationsEdit: CommandDef = {
  path: ['integrations', 'edit'],
  audit: { target: ([name]) => `integration ${name}` },
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
    // Check the llm flags and read keys (maybe from a prompt) before the transaction: it holds a database connection.
    const keys = current.type === 'llm' ? (await applyLlmFlags(ctx, args, current.settings as LlmSettings, current.keyedProviders)).keys : {};
    let dropped: string[] = [];
    await ctx.db.transaction().execute(async (trx) => {
      // Apply the flags again to the integration as it is now, locked: another session's edit made
      // since we read it stays (only the flags given change), and a removal meanwhile is not found.
      const now = await lockIntegration(trx, ctx.user.id, current.id);
      const llm = now.type === 'llm' ? llmSettingsFrom(args, now.settings as LlmSettings, now.keyedProviders, ctx.interactive) : undefined;
      const settings = llm ? llm.settings : { fields: applyReflectionFlags(args, (now.settings as ReflectionSettings).fields) };
      await updateIntegration(trx, ctx.user.id, current.id, { settings, comment });
      if (llm) {
        await storeKeys(trx, ctx.services.sealer, current.id, keys);
        for (const p of llm.dropKeys) await deleteSecret(trx, current.id, p);
        dropped = llm.dropKeys;
      }
      // Only targets not attached yet, each once: `--attach tag:x --attach tag:x` is one attachment.
      for (const t of targets) await attachIfAbsent(trx, current.id, t);
    });
    noteChanges(ctx, current.keyedProviders, Object.keys(keys), dropped, targets);
    const updated = await requireIntegration(ctx.db, ctx.user.id, current.name);
    if (args.json) return void ctx.out.json(integrationJson(updated));
    ctx.out.line(`Updated integration ${ctx.out.c.bold(updated.name)}`);
    printUsageHints(ctx, updated);
  },
};

/** The audit row says which keys changed, as constant text: `anthropic key replaced`, never a key. */
function noteChanges(ctx: CommandContext, keyed: string[], written: string[], dropped: string[], targets: AttachTarget[]): void {
  for (const p of written) ctx.audit.note(`${p} key ${keyed.includes(p) ? 'replaced' : 'set'}`);
  for (const p of dropped) ctx.audit.note(`${p} key removed`);
  for (const t of targets) ctx.audit.note(`attached ${t.label}`);
}
