// The team commands over real SSH (issue 14): create, members (and `team` alone), add, remove,
// role, transfer, leave, delete; success and refusal per role, on SQLite and PostgreSQL.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { commandAsserts } from '../helpers/commands.js';
import { DATABASES } from '../helpers/databases.js';
import { startTestGatehouse, type TestGatehouse } from '../helpers/gatehouse.js';
import { signUp, type KeyPair } from '../helpers/ssh.js';

for (const database of DATABASES) describe(`team commands (${database.name})`, () => {
  let gh: TestGatehouse;
  const k: Record<string, KeyPair> = {};
  const { ok, okJson, fails, failsJson } = commandAsserts(() => gh.sshPort);
  const members = async (key: KeyPair) => (await okJson(key, 'team members')).members.map((m: any) => `${m.name}:${m.role}`);

  before(async () => {
    gh = await startTestGatehouse(await database.env());
    for (const name of ['alice', 'bob', 'carol', 'dave', 'erin']) k[name] = await signUp(gh.sshPort, name, `${name}@example.com`);
  });
  after(() => gh.stop());

  it('outside a team, every team command says how to get one', async () => {
    await fails(k.alice, 'team', 1, /you are not in a team/);
    await fails(k.alice, 'team members', 1, /you are not in a team/);
    await fails(k.alice, 'team add bob', 1, /you are not in a team/);
    await fails(k.alice, 'team leave', 1, /you are not in a team/);
    await failsJson(k.alice, 'team delete --yes', 1, /you are not in a team/);
  });

  it('create makes the caller the owner; the name is checked and unique', async () => {
    await fails(k.alice, 'team create A', 1, /invalid team name "A"/);
    await fails(k.alice, `team create ${'a'.repeat(33)}`, 1, /invalid team name/);
    await fails(k.alice, 'team create', 2, /NAME/);
    assert.deepEqual(await okJson(k.alice, 'team create acme'), { team: 'acme', role: 'owner' });
    await fails(k.alice, 'team create other', 1, /already in team "acme"/);
    await fails(k.erin, 'team create acme', 1, /team name "acme" is taken/);
  });

  it('`team` alone lists the members, as `team members` does', async () => {
    assert.match(await ok(k.alice, 'team'), /Team acme \(you: owner\)\nNAME\s+EMAIL\s+ROLE\nalice\s+alice@example\.com\s+owner\n/);
    assert.deepEqual(await okJson(k.alice, 'team'), await okJson(k.alice, 'team members'));
    assert.match(await ok(k.alice, 'team --help'), /team members/, '--help shows the group');
    assert.match(await ok(k.alice, 'help team'), /team create/);
  });

  it('add takes an account by name or email, with a role; users cannot add', async () => {
    assert.deepEqual(await okJson(k.alice, 'team add bob'), { team: 'acme', added: 'bob', role: 'user' });
    assert.equal(await ok(k.alice, 'team add carol@example.com admin'), 'Added carol to team acme as admin\n');
    await fails(k.bob, 'team add dave', 1, /only the team's owner or admins can add members; your role in team "acme" is user/);
    await fails(k.alice, 'team add nobody', 1, /user "nobody" not found/);
    await fails(k.alice, 'team add bob', 1, /bob is already a member of team "acme"/);
    await fails(k.alice, 'team add dave owner', 1, /exactly one owner.*team transfer/);
    await fails(k.alice, 'team add dave boss', 1, /invalid role "boss": use admin or user/);
    await fails(k.alice, 'team add team:acme', 1, /user "team:acme" not found/);
    await ok(k.erin, 'team create rivals');
    await fails(k.alice, 'team add erin', 1, /erin is already in team "rivals"/);
    assert.deepEqual(await members(k.bob), ['alice:owner', 'carol:admin', 'bob:user']);
  });

  it('role: owner and admins change it; the owner changes only by transfer', async () => {
    await fails(k.bob, 'team role carol user', 1, /only the team's owner or admins can change roles; your role in team "acme" is user/);
    await fails(k.carol, 'team role alice user', 1, /owner's role changes only by a transfer/);
    await fails(k.alice, 'team role erin admin', 1, /erin is not a member of team "acme"/);
    assert.equal(await ok(k.carol, 'team role bob admin'), 'bob is now an admin of team acme\n');
    assert.deepEqual(await okJson(k.alice, 'team role bob user'), { team: 'acme', user: 'bob', role: 'user' });
  });

  it('remove: owner and admins; never the owner', async () => {
    await ok(k.alice, 'team add dave');
    await fails(k.bob, 'team remove dave', 1, /only the team's owner or admins can remove members; your role in team "acme" is user/);
    await fails(k.carol, 'team remove alice', 1, /owner cannot be removed/);
    assert.equal(await ok(k.carol, 'team remove dave'), 'Removed dave from team acme\n');
    await fails(k.dave, 'team', 1, /you are not in a team/);
    await fails(k.alice, 'team remove dave', 1, /dave is not a member of team "acme"/);
  });

  it('transfer: owner only; the old owner stays as an admin', async () => {
    await fails(k.carol, 'team transfer bob', 1, /only the team's owner can transfer ownership; your role in team "acme" is admin/);
    await fails(k.alice, 'team transfer alice', 1, /owner already/);
    assert.deepEqual(await okJson(k.alice, 'team transfer bob'), { team: 'acme', owner: 'bob', you: 'admin' });
    assert.deepEqual(await members(k.alice), ['bob:owner', 'alice:admin', 'carol:admin']);
    await ok(k.bob, 'team transfer alice');
    assert.deepEqual(await members(k.alice), ['alice:owner', 'bob:admin', 'carol:admin'], 'transferred back: bob stays an admin');
    await ok(k.alice, 'team role bob user');
  });

  it('usage: owner and admins; empty before any traffic; groups checked', async () => {
    await fails(k.bob, 'team usage', 1, /only the team's owner or admins can see the team's usage; your role in team "acme" is user/);
    const empty = await okJson(k.carol, 'team usage --group model');
    assert.deepEqual({ group: empty.group, rows: empty.rows, requests: empty.total.requests }, { group: 'model', rows: [], requests: 0 });
    assert.match(await ok(k.alice, 'team usage --month 2026-01'), /No usage in 2026-01\./);
    await fails(k.alice, 'team usage --group vm', 1, /invalid group "vm": use one of member, model, day, integration/);
    await fails(k.alice, 'team usage --month 13', 1, /invalid month/);
  });

  it('leave: anyone but the owner', async () => {
    await fails(k.alice, 'team leave', 1, /owner cannot leave/);
    await ok(k.alice, 'team add dave');
    assert.equal(await ok(k.dave, 'team leave'), 'You left team acme\n');
    assert.deepEqual(await members(k.alice), ['alice:owner', 'carol:admin', 'bob:user']);
  });

  it('delete: owner only; says what it removes and wants --yes', async () => {
    await fails(k.carol, 'team delete --yes', 1, /only the team's owner can delete the team; your role in team "acme" is admin/);
    const refused = await fails(k.alice, 'team delete', 1, /deleting team "acme" removes its 3 members' membership/);
    assert.match(refused, /team delete --yes/);
    assert.deepEqual((await okJson(k.alice, 'team members')).members.length, 3, 'nothing deleted without --yes');
    assert.deepEqual(await okJson(k.alice, 'team delete --yes'), { deleted: 'acme', members: 3, integrations: [] });
    for (const who of ['alice', 'bob', 'carol']) await fails(k[who], 'team', 1, /you are not in a team/);
    await ok(k.bob, 'team create acme'); // the name is free again
    await ok(k.bob, 'team delete --yes');
  });

  it('hostile input: odd names, unknown flags, oversized words', async () => {
    await fails(k.alice, `team create '${'x'.repeat(5000)}'`, 1, /invalid team name/);
    await fails(k.alice, "team create 'a;b'", 1, /invalid team name/);
    await fails(k.erin, "team add '%'", 1, /user "%" not found/);
    await fails(k.erin, "team add '_'", 1, /user "_" not found/);
    await fails(k.erin, 'team add bob --role admin', 2, /unknown flag --role/);
    await fails(k.erin, 'team frobnicate', 2, /"team" subcommand "frobnicate" not found/);
  });

  it('team accounts never show as people', async () => {
    const users = await okJson(k.alice, 'admin users');
    assert.ok(users.every((u: any) => !String(u.name).startsWith('team:')), JSON.stringify(users));
  });
});
