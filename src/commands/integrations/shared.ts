// What the integrations commands share: completers and the "how to use it" lines.
import { listVisibleIntegrations } from '../../core/integrationNames.js';
import type { Integration } from '../../core/integrations.js';
import { listVms } from '../../db/vms.js';
import type { CommandContext } from '../../shell/types.js';

/** The user's integrations and their team's: one namespace, so each name means one of them. */
export async function integrationNames(ctx: CommandContext): Promise<string[]> {
  return (await listVisibleIntegrations(ctx.db, ctx.user.id)).map((i) => i.name);
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
  const path = i.type === 'llm' ? '/v1/models' : '/';
  if (i.teamName !== undefined) {
    // A team integration serves every member's VM with one of its tags, at NAME.team.DOMAIN.
    if (i.attachments.length === 0) ctx.out.line(`It is not attached to any tag yet: ${c.cyan(`integrations attach ${i.name} tag:NAME --team`)}`);
    return void ctx.out.line(`From a team member's VM with ${i.attachments.join(' or ') || 'that tag'}: ${c.cyan(`curl http://${i.name}.team.${ctx.config.domain}${path}`)}`);
  }
  if (i.attachments.length === 0) {
    ctx.out.line(`It is not attached to any VM yet: ${c.cyan(`integrations attach ${i.name} vm:NAME`)} (or tag:NAME, auto:all)`);
  }
  ctx.out.line(`From a VM: ${c.cyan(`curl http://${i.name}.int.${ctx.config.domain}${path}`)}`);
}
