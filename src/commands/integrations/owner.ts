// Whose integration an integrations command acts on (issue 14): the caller's own, or with --team
// their team's, which the team's hidden account owns (user_id = team id) and only the team's
// owner and admins may change. Every query is then scoped by that owner id, never by a name alone.
import { requireIntegration } from '../../core/integrationStore.js';
import type { Integration } from '../../core/integrations.js';
import { shown } from '../../core/names.js';
import { requireMembership, requireRole } from '../../core/teams.js';
import { findIntegrationRow } from '../../db/integrations.js';
import { membershipOf, type Membership } from '../../db/teams.js';
import { GatehouseError } from '../../errors.js';
import type { CommandContext, OptionSpec, ParsedArgs } from '../../shell/types.js';

export interface Owner {
  /** integrations.user_id: the caller's id, or the team's hidden account's (= team id). */
  userId: number;
  /** The caller's team, if any: a personal integration shares its namespace (integrationNames.ts). */
  team?: Membership;
  /** --team: the team's integration. */
  forTeam: boolean;
}

export const teamOption: Record<string, OptionSpec> = {
  team: { type: 'boolean', describe: "your team's integration instead of your own (team owner or admins)" },
};

/** The owner for this command; with --team, refused unless the caller is the team's owner or an admin. */
export async function ownerFor(ctx: CommandContext, args: ParsedArgs, action = 'change team integrations'): Promise<Owner> {
  if (args.team !== true) return { userId: ctx.user.id, team: await membershipOf(ctx.db, ctx.user.id), forTeam: false };
  const m = await requireMembership(ctx.db, ctx.user.id);
  requireRole(m, 'admin', action);
  // The change is to the team's account, not the caller's: the audit row says so.
  ctx.audit.subject(m.teamId);
  ctx.audit.note(`team ${m.team}`);
  return { userId: m.teamId, team: m, forTeam: true };
}

/**
 * The owner's integration of that name. Without --team, a name that is the team's gets a pointer
 * to --team rather than a bare "not found"; with --team, a personal one a pointer the other way.
 */
export async function requireOwned(ctx: CommandContext, owner: Owner, name: string): Promise<Integration> {
  try {
    const i = await requireIntegration(ctx.db, owner.userId, name);
    return owner.forTeam ? { ...i, teamId: owner.team!.teamId, teamName: owner.team!.team } : i;
  } catch (err) {
    if (!(err instanceof GatehouseError) || err.code !== 'not_found' || !owner.team) throw err;
    const team = owner.team;
    if (owner.forTeam) {
      if (!(await findIntegrationRow(ctx.db, ctx.user.id, name))) throw new GatehouseError('not_found', `team "${team.team}" has no integration "${shown(name)}"`, { hint: 'run "integrations list" to see the team\'s (marked (team))' });
      throw new GatehouseError('not_found', `integration "${shown(name)}" is your own, not team "${team.team}"'s: leave out --team`);
    }
    if (!(await findIntegrationRow(ctx.db, team.teamId, name))) throw err;
    const who = team.role === 'user' ? ` (only its owner and admins can change it; your role is ${team.role})` : '';
    throw new GatehouseError('not_found', `integration "${shown(name)}" belongs to team "${team.team}": add --team${who}`);
  }
}

/** Team integrations attach to tags only: every member's VM with the tag (exe.dev's wording). */
export function checkTeamSpec(spec: string): void {
  if (!spec.startsWith('tag:')) throw new GatehouseError('invalid_input', `team integrations only support tag:<name> attachments, got "${shown(spec)}"`);
}

export const CHATGPT_PERSONAL = 'ChatGPT subscriptions are only available on personal LLM integrations';

/**
 * What --team forbids in the flags themselves, checked before the role (it reveals nothing, and
 * says what exe.dev says): attachments other than tag:, a ChatGPT source.
 */
export function checkTeamFlags(args: ParsedArgs): void {
  if (args.team !== true) return;
  for (const spec of (args.attach as string[] | undefined) ?? []) checkTeamSpec(spec);
  // A ChatGPT plan is one person's: a team integration would spend it for every member.
  if (args.openai === 'chatgpt' || args['openai-account'] !== undefined) throw new GatehouseError('invalid_input', CHATGPT_PERSONAL);
}
