// What the team commands share: the member-name completer and the role words.
import { membershipOf, listMembers } from '../../db/teams.js';
import type { CommandContext } from '../../shell/types.js';

export const ROLE_WORDS = ['admin', 'user'];

/** Completes USER with the caller's team's members (none outside a team). */
export async function memberNames(ctx: CommandContext): Promise<string[]> {
  const m = await membershipOf(ctx.db, ctx.user.id);
  return m ? (await listMembers(ctx.db, m.teamId)).map((u) => u.name) : [];
}
