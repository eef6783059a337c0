// One namespace per user (issue 14, as on exe.dev): a user's personal integrations and their
// team's integrations never share a name, so `integrations edit x` and `NAME.int`/`NAME.team`
// hostnames always mean one thing. And what each member sees: their own plus their team's.
import type { Db } from '../db/open.js';
import { membershipOf, type Membership } from '../db/teams.js';
import { GatehouseError } from '../errors.js';
import { listIntegrations } from './integrationStore.js';
import type { Integration } from './integrations.js';

/** Names the user's personal integrations share with the team's. */
export async function clashingNames(db: Db, userId: number, teamId: number): Promise<string[]> {
  const rows = await db
    .selectFrom('integrations as mine')
    .innerJoin('integrations as theirs', 'theirs.name', 'mine.name')
    .select('mine.name')
    .where('mine.user_id', '=', userId)
    .where('theirs.user_id', '=', teamId)
    .orderBy('mine.name')
    .execute();
  return rows.map((r) => r.name);
}

const inUse = (name: string, hint: string) => new GatehouseError('conflict', `name "${name}" is already in use`, { hint });

/**
 * Refuses a name already used in the namespace of everyone concerned: for a personal integration,
 * the user's own and their team's; for a team integration (`owner` is the team's hidden account),
 * the team's and every member's personal ones. `exceptId`: the integration being renamed.
 */
export async function checkNameFree(db: Db, owner: { userId: number; team?: Membership }, name: string, exceptId?: number): Promise<void> {
  let q = db.selectFrom('integrations').select(['id', 'user_id']).where('name', '=', name);
  if (exceptId !== undefined) q = q.where('id', '<>', exceptId);
  if (owner.team && owner.userId === owner.team.teamId) {
    const members = db.selectFrom('team_members').select('user_id').where('team_id', '=', owner.team.teamId);
    const hit = await q.where((eb) => eb.or([eb('user_id', '=', owner.team!.teamId), eb('user_id', 'in', members)])).executeTakeFirst();
    if (!hit) return;
    throw inUse(name, hit.user_id === owner.team.teamId ? `team "${owner.team.team}" has an integration of that name` : 'a member of the team has a personal integration of that name; choose another name');
  }
  const ids = owner.team ? [owner.userId, owner.team.teamId] : [owner.userId];
  const hit = await q.where('user_id', 'in', ids).executeTakeFirst();
  if (!hit) return;
  throw inUse(name, hit.user_id === owner.userId ? 'choose another name, or change that one with "integrations edit"' : `team "${owner.team!.team}" has an integration of that name`);
}

/** The user's personal integrations, then their team's (marked with teamId and teamName). */
export async function listVisibleIntegrations(db: Db, userId: number): Promise<Integration[]> {
  const team = await membershipOf(db, userId);
  const mine = await listIntegrations(db, userId);
  if (!team) return mine;
  const theirs = await listIntegrations(db, team.teamId);
  return [...mine, ...theirs.map((i) => ({ ...i, teamId: team.teamId, teamName: team.team }))];
}
