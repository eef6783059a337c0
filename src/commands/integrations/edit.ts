import { attachIfAbsent, lockIntegration, resolveAttachSpec, storeKeys, type AttachTarget } from '../../core/integrationStore.js';
import { integrationJson, type LlmSettings, type ReflectionSettings } from '../../core/integrations.js';
import { deleteSecret, updateIntegration } from '../../db/integrations.js';
import type { CommandContext, CommandDef } from '../../shell/types.js';
import { applyLlmFlags, applyReflectionFlags, commentFrom, integrationOptions, llmSettingsFrom } from './flags.js';
import { checkTeamFlags, ownerFor, requireOwned } from './owner.js';
import { integrationNames, printUsageHints } from './shared.js';

export const integrationsEdit: CommandDef = {
  path: ['integrations', 'edit'],
  audit: { target: ([name]) => `integration ${name}` },
  summary: "change an integration; only the flags given change (--team: your team's)",
  args: [{ name: 'NAME', complete: integrationNames }],
  options: integrationOptions,
  examples: ['integrations edit llm --openai=disabled', 'printf %s "$KEY" | ssh HOST integrations edit keys --gemini=byok --gemini-key=-', 'integrations edit about --fields none', 'integrations edit shared --team --openai=disabled'],
  async run(ctx, args) {
    checkTeamFlags(args);
    const owner = await ownerFor(ctx, args);
    const current = await requireOwned(ctx, owner, args._[0]);
    const targets: AttachTarget[] = [];
    for (const spec of (args.attach as string[] | undefined) ?? []) targets.push(await resolveAttachSpec(ctx.db, owner.userId, spec));
    const comment = commentFrom(args);
    // Check the llm flags and read keys (maybe from a prompt) before the transaction: it holds a database connection.
    const keys = current.type === 'llm' ? (await applyLlmFlags(ctx, args, current.settings as LlmSettings, current.keyedProviders)).keys : {};
    let dropped: string[] = [];
    await ctx.db.transaction().execute(async (trx) => {
      // Apply the flags again to the integration as it is now, locked: another session's edit made
      // since we read it stays (only the flags given change), and a removal meanwhile is not found.
      const now = await lockIntegration(trx, owner.userId, current.id);
      const llm = now.type === 'llm' ? llmSettingsFrom(args, now.settings as LlmSettings, now.keyedProviders, ctx.interactive) : undefined;
      const settings = llm ? llm.settings : { fields: applyReflectionFlags(args, (now.settings as ReflectionSettings).fields) };
      await updateIntegration(trx, owner.userId, current.id, { settings, comment });
      if (llm) {
        await storeKeys(trx, ctx.services.sealer, current.id, keys);
        for (const p of llm.dropKeys) await deleteSecret(trx, current.id, p);
        dropped = llm.dropKeys;
      }
      // Only targets not attached yet, each once: `--attach tag:x --attach tag:x` is one attachment.
      for (const t of targets) await attachIfAbsent(trx, current.id, t);
    });
    noteChanges(ctx, current.keyedProviders, Object.keys(keys), dropped, targets);
    const updated = await requireOwned(ctx, owner, current.name);
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
