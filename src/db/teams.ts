// Queries on teams and their members (migration 0014). A team is also a hidden `users` row named
// "team:NAME" with the same id, which owns the team's integrations, grants and leases; deleting
// that row deletes everything the team owns.
import { inByteOrder } from './dialect.js';
import type { Db } from './open.js';
import { nowIso } from './open.js';
import type { TeamRole, TeamRow } from './schema.js';

/** The hidden account's name: user names take no ":", so no person can ever hold it. */
export const teamAccountName = (team: string): string => `team:${team}`;
export const TEAM_ACCOUNT_PREFIX = 'team:';

export interface Membership {
  teamId: number;
  team: string;
  role: TeamRole;
}

export interface MemberView {
  user_id: number;
  name: string;
  email: string | null;
  role: TeamRole;
  joined_at: string;
}

export async function findTeam(db: Db, name: string): Promise<TeamRow | undefined> {
  return db.selectFrom('teams').selectAll().where('name', '=', name).executeTakeFirst();
}

export async function membershipOf(db: Db, userId: number): Promise<Membership | undefined> {
  const row = await db
    .selectFrom('team_members')
    .innerJoin('teams', 'teams.id', 'team_members.team_id')
    .select(['teams.id as teamId', 'teams.name as team', 'team_members.role as role'])
    .where('team_members.user_id', '=', userId)
    .executeTakeFirst();
  return row;
}

/** Owner first, then admins, then users; by name within a role. */
export async function listMembers(db: Db, teamId: number): Promise<MemberView[]> {
  const rows = await db
    .selectFrom('team_members')
    .innerJoin('users', 'users.id', 'team_members.user_id')
    .select(['users.id as user_id', 'users.name as name', 'users.email as email', 'team_members.role as role', 'team_members.created_at as joined_at'])
    .where('team_members.team_id', '=', teamId)
    .orderBy(inByteOrder(db, 'users.name'))
    .execute();
  const rank: Record<TeamRole, number> = { owner: 0, admin: 1, user: 2 };
  return rows.sort((a, b) => rank[a.role] - rank[b.role]);
}

/** Creates the hidden account, the team and its owner's membership. Call inside a transaction. */
export async function insertTeam(db: Db, name: string, ownerId: number): Promise<TeamRow> {
  const now = nowIso();
  const account = await db.insertInto('users').values({ name: teamAccountName(name), email: null, is_admin: 0, created_at: now }).returning('id').executeTakeFirstOrThrow();
  const team = await db.insertInto('teams').values({ id: account.id, name, created_at: now }).returningAll().executeTakeFirstOrThrow();
  await insertMember(db, team.id, ownerId, 'owner');
  return team;
}

export async function insertMember(db: Db, teamId: number, userId: number, role: TeamRole): Promise<void> {
  await db.insertInto('team_members').values({ team_id: teamId, user_id: userId, role, created_at: nowIso() }).execute();
}

export async function deleteMember(db: Db, teamId: number, userId: number): Promise<number> {
  const r = await db.deleteFrom('team_members').where('team_id', '=', teamId).where('user_id', '=', userId).executeTakeFirst();
  return Number(r.numDeletedRows);
}

export async function setRole(db: Db, teamId: number, userId: number, role: TeamRole): Promise<number> {
  const r = await db.updateTable('team_members').set({ role }).where('team_id', '=', teamId).where('user_id', '=', userId).executeTakeFirst();
  return Number(r.numUpdatedRows);
}

/** The hidden account's row goes, and with it (ON DELETE CASCADE) the team, its members, integrations, keys, grants and leases. */
export async function deleteTeam(db: Db, teamId: number): Promise<void> {
  await db.deleteFrom('users').where('id', '=', teamId).where('name', 'like', `${TEAM_ACCOUNT_PREFIX}%`).execute();
}

/** Every membership: the resolver's view (which team each user is in). */
export async function loadMemberships(db: Db): Promise<{ team_id: number; user_id: number; role: TeamRole; team: string }[]> {
  return db
    .selectFrom('team_members')
    .innerJoin('teams', 'teams.id', 'team_members.team_id')
    .select(['team_members.team_id', 'team_members.user_id', 'team_members.role', 'teams.name as team'])
    .execute();
}
