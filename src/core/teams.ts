// The rules of teams (issue 14): a user is in at most one team; exactly one owner; only the owner
// and admins change membership; every refusal names the role it needs. Commands (commands/team/)
// call these and print; the gateway learns of every change through change topic 'teams'.
import { isUniqueViolation, takeTurn } from '../db/dialect.js';
import { listIntegrationRows } from '../db/integrations.js';
import type { Db } from '../db/open.js';
import type { TeamRole, User } from '../db/schema.js';
import * as q from '../db/teams.js';
import { findUserByNameOrEmail } from '../db/users.js';
import { GatehouseError } from '../errors.js';
import { clashingNames } from './integrationNames.js';
import { shown } from './names.js';

export type { Membership, MemberView } from '../db/teams.js';
export const TEAM_ROLES: readonly TeamRole[] = ['owner', 'admin', 'user'];

const TEAM_NAME = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;

export function checkTeamName(name: string): string {
  if (name.length < 2 || name.length > 32 || !TEAM_NAME.test(name)) {
    throw new GatehouseError('invalid_input', `invalid team name "${shown(name)}": use 2–32 lowercase letters, digits and "-", starting with a letter`);
  }
  return name;
}

/** The caller's team, or a clear refusal saying how to get one. */
export async function requireMembership(db: Db, userId: number): Promise<q.Membership> {
  const m = await q.membershipOf(db, userId);
  if (!m) throw new GatehouseError('not_found', 'you are not in a team', { hint: 'create one with "team create NAME", or ask a team admin to "team add" you' });
  return m;
}

/** `action` reads after "only the team's owner …can": e.g. "add members". */
export function requireRole(m: q.Membership, needed: 'admin' | 'owner', action: string): void {
  if (m.role === 'owner' || (needed === 'admin' && m.role === 'admin')) return;
  const who = needed === 'owner' ? "the team's owner" : "the team's owner or admins";
  throw new GatehouseError('forbidden', `only ${who} can ${action}; your role in team "${m.team}" is ${m.role}`);
}

export async function createTeam(db: Db, user: User, name: string): Promise<q.Membership> {
  checkTeamName(name);
  const current = await q.membershipOf(db, user.id);
  if (current) throw new GatehouseError('conflict', `you are already in team "${current.team}"`, { hint: 'a user belongs to at most one team; leave it first with "team leave"' });
  const taken = (cause?: unknown) => new GatehouseError('conflict', `team name "${name}" is taken`, { hint: 'choose another name', cause });
  if (await q.findTeam(db, name)) throw taken();
  try {
    const team = await db.transaction().execute((trx) => q.insertTeam(trx, name, user.id));
    return { teamId: team.id, team: team.name, role: 'owner' };
  } catch (cause) {
    // Another session made the same team, or put this user in a team, since the checks above.
    if (isUniqueViolation(cause)) {
      if (await q.membershipOf(db, user.id)) throw new GatehouseError('conflict', 'you were added to a team meanwhile', { cause });
      throw taken(cause);
    }
    throw cause;
  }
}

/** A person named by user name or email, who must exist. */
async function person(db: Db, who: string): Promise<User> {
  const user = await findUserByNameOrEmail(db, who);
  if (!user) throw new GatehouseError('not_found', `user "${shown(who)}" not found`, { hint: 'name an existing account by its user name or email' });
  return user;
}

/** A member of the actor's team, by name or email. */
async function member(db: Db, m: q.Membership, who: string): Promise<{ user: User; role: TeamRole }> {
  const user = await person(db, who);
  const theirs = await q.membershipOf(db, user.id);
  if (!theirs || theirs.teamId !== m.teamId) throw new GatehouseError('not_found', `${user.name} is not a member of team "${m.team}"`, { hint: 'run "team members" to see who is' });
  return { user, role: theirs.role };
}

function memberRole(role: string | undefined): 'admin' | 'user' {
  if (role === undefined || role === 'user' || role === 'admin') return role ?? 'user';
  if (role === 'owner') throw new GatehouseError('invalid_input', 'a team has exactly one owner: make someone the owner with "team transfer USER"');
  throw new GatehouseError('invalid_input', `invalid role "${shown(role)}": use admin or user`);
}

export async function addMember(db: Db, actor: User, who: string, role?: string): Promise<{ user: User; role: TeamRole; team: string }> {
  const m = await requireMembership(db, actor.id);
  requireRole(m, 'admin', 'add members');
  const wanted = memberRole(role);
  const user = await person(db, who);
  const theirs = await q.membershipOf(db, user.id);
  const elsewhere = (team: string) => new GatehouseError('conflict', team === m.team ? `${user.name} is already a member of team "${team}"` : `${user.name} is already in team "${team}"`, { hint: 'a user belongs to at most one team' });
  if (theirs) throw elsewhere(theirs.team);
  try {
    await db.transaction().execute(async (trx) => {
      // Personal and team integrations share one namespace per user. Checked in turn with the team's
      // and its members' integration adds (the same lock: commands/integrations/owner.ts), so a name
      // taken meanwhile by either side is seen here, and this membership is seen there.
      await takeTurn(trx, 'teamNames', m.teamId);
      const clash = await clashingNames(trx, user.id, m.teamId);
      if (clash.length) throw new GatehouseError('conflict', `name "${clash[0]}" is already in use: ${user.name} has a personal integration of that name, and so does team "${m.team}"`, { hint: `${user.name} can rename theirs first with "integrations rename ${clash[0]} NEW"` });
      await q.insertMember(trx, m.teamId, user.id, wanted);
    });
  } catch (cause) {
    if (isUniqueViolation(cause)) throw elsewhere((await q.membershipOf(db, user.id))?.team ?? m.team);
    throw cause;
  }
  return { user, role: wanted, team: m.team };
}

export async function removeMember(db: Db, actor: User, who: string): Promise<{ user: User; team: string }> {
  const m = await requireMembership(db, actor.id);
  requireRole(m, 'admin', 'remove members');
  const target = await member(db, m, who);
  if (target.role === 'owner') throw new GatehouseError('forbidden', 'the owner cannot be removed from the team', { hint: 'transfer ownership first with "team transfer USER", or delete the team with "team delete"' });
  await q.deleteMember(db, m.teamId, target.user.id);
  return { user: target.user, team: m.team };
}

export async function changeRole(db: Db, actor: User, who: string, role: string): Promise<{ user: User; role: TeamRole; team: string }> {
  const m = await requireMembership(db, actor.id);
  requireRole(m, 'admin', 'change roles');
  const wanted = memberRole(role);
  const target = await member(db, m, who);
  if (target.role === 'owner') throw new GatehouseError('forbidden', "the owner's role changes only by a transfer", { hint: 'make another member the owner with "team transfer USER"' });
  await q.setRole(db, m.teamId, target.user.id, wanted);
  return { user: target.user, role: wanted, team: m.team };
}

/** The new owner takes over; the old one stays as an admin. */
export async function transferOwnership(db: Db, actor: User, who: string): Promise<{ user: User; team: string }> {
  const m = await requireMembership(db, actor.id);
  requireRole(m, 'owner', 'transfer ownership');
  const target = await member(db, m, who);
  if (target.user.id === actor.id) throw new GatehouseError('invalid_input', 'you are the owner already');
  await db.transaction().execute(async (trx) => {
    // Demoted first: the index team_members_one_owner allows one owner at a time.
    if ((await q.setRole(trx, m.teamId, actor.id, 'admin')) === 0) throw new GatehouseError('conflict', 'your membership changed meanwhile; run "team members" and try again');
    await q.setRole(trx, m.teamId, target.user.id, 'owner');
  });
  return { user: target.user, team: m.team };
}

export async function leaveTeam(db: Db, actor: User): Promise<{ team: string }> {
  const m = await requireMembership(db, actor.id);
  if (m.role === 'owner') throw new GatehouseError('forbidden', 'the owner cannot leave the team', { hint: 'transfer ownership first with "team transfer USER", or delete the team with "team delete"' });
  await q.deleteMember(db, m.teamId, actor.id);
  return { team: m.team };
}

export interface TeamDeletion {
  team: string;
  members: number;
  integrations: string[];
}

/** What deleting the team would remove; `confirmed` deletes it. */
export async function deleteTeam(db: Db, actor: User, confirmed: boolean): Promise<TeamDeletion & { deleted: boolean }> {
  const m = await requireMembership(db, actor.id);
  requireRole(m, 'owner', 'delete the team');
  const [members, integrations] = await Promise.all([
    q.listMembers(db, m.teamId),
    listIntegrationRows(db, m.teamId),
  ]);
  const what = { team: m.team, members: members.length, integrations: integrations.map((i) => i.name) };
  if (!confirmed) return { ...what, deleted: false };
  await q.deleteTeam(db, m.teamId);
  return { ...what, deleted: true };
}
