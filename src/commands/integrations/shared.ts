// What the integrations commands share: completers and the "how to use it" lines.
import { listIntegrations } from '../../core/integrationStore.js';
import type { Integration } from '../../core/integrations.js';
import { listVms } from '../../db/vms.js';
import type { CommandContext } from '../../shell/types.js';

export async function integrationNames(ctx: CommandContext): Promise<string[]> {
  return (await listIntegrations(ctx.db, ctx.user.id)).map((i) => i.name);
}

/** The user's connected ChatGPT accounts (--name of setup, --openai-account). */
export async function chatgptAccountNames(ctx: CommandContext): Promise<string[]> {
  return (await ctx.services.chatgpt.list(ctx.user.id)).map((a) => a.name);
}

export async function attachSpecs(ctx: CommandContext): Promise<string[]> {
  const vms = await listVms(ctx.db, ctx.user.id);
  return ['auto:all', ...vms.map((v) => `vm:${v.name}`), ...new Set(vms.flatMap((v) => v.tags.map((t) => `tag:${t}`)))];
}

/** After add/edit: how to attach it (when it has no attachment) and how to use it from a VM. */
export function printUsageHints(ctx: CommandContext, i: Integration): void {
  const { c } = ctx.out;
  if (i.attachments.length === 0) {
    ctx.out.line(`It is not attached to any VM yet: ${c.cyan(`integrations attach ${i.name} vm:NAME`)} (or tag:NAME, auto:all)`);
  }
  const path = i.type === 'llm' ? '/v1/models' : '/';
  ctx.out.line(`From a VM: ${c.cyan(`curl http://${i.name}.int.${ctx.config.domain}${path}`)}`);
}
