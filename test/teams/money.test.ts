// Team money over real SSH (issue 14, point 3, command side): `credits --team` (any member),
// `admin credits grant --team TEAM DOLLARS`, and a member's own `usage` marking what a team paid
// (team_cost_micros per group, a footnote in text), on SQLite and PostgreSQL.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { openDatabase } from '../../src/db/open.js';
import { commandAsserts } from '../helpers/commands.js';
import { DATABASES } from '../helpers/databases.js';
import { startTestGatehouse, type TestGatehouse } from '../helpers/gatehouse.js';
import { signUp, type KeyPair } from '../helpers/ssh.js';

const MONTH = new Date().toISOString().slice(0, 7);
const BALANCE_KEYS = ['month', 'allocation_micros', 'used_micros', 'granted_micros', 'reserved_micros', 'remaining_micros', 'resets_at', 'allocation_usd', 'used_usd', 'granted_usd', 'remaining_usd'];

for (const database of DATABASES) describe(`team money commands (${database.name})`, () => {
  let gh: TestGatehouse;
  const k: Record<'alice' | 'bob' | 'carol' | 'dave', KeyPair> = {} as never;
  const { ok, okJson, fails, failsJson } = commandAsserts(() => gh.sshPort);

  before(async () => {
    gh = await startTestGatehouse(await database.env());
    // alice signs up first: the installation's admin, and the team's owner.
    for (const name of ['alice', 'bob', 'carol', 'dave'] as const) k[name] = await signUp(gh.sshPort, name);
    await ok(k.alice, 'team create acme');
    await ok(k.alice, 'team add bob');
    await ok(k.alice, 'team add carol admin');
  });
  after(() => gh?.stop());

  describe('credits --team', () => {
    it('every member sees the team’s balance: the JSON of "credits" plus "team"', async () => {
      const mine = await okJson(k.bob, 'credits');
      for (const who of [k.alice, k.carol, k.bob]) {
        const team = await okJson(who, 'credits --team');
        assert.deepEqual(Object.keys(team).sort(), [...BALANCE_KEYS, 'team'].sort());
        assert.deepEqual(Object.keys(mine).sort(), [...BALANCE_KEYS].sort(), 'personal credits keep their shape');
        assert.equal(team.team, 'acme');
        assert.equal(team.month, MONTH);
        assert.equal(team.allocation_micros, 100_000_000, 'GATEHOUSE_TEAM_MONTHLY_CREDITS defaults to 100 USD');
        assert.equal(team.remaining_micros, 100_000_000);
      }
      const text = await ok(k.bob, 'credits --team');
      assert.match(text, /^team\s+acme$/m);
      assert.match(text, /^allocation\s+\$100\.00$/m);
      assert.doesNotMatch(await ok(k.bob, 'credits'), /^team/m, 'personal credits unchanged');
    });

    it('outside a team it says how to get one; the flag takes no value', async () => {
      await fails(k.dave, 'credits --team', 1, /^error: you are not in a team\n/);
      await failsJson(k.dave, 'credits --team', 1, /you are not in a team/);
      await fails(k.bob, 'credits --team acme', 2, /unexpected argument "acme"/);
      await fails(k.bob, 'credits --team=acme', 2, /flag --team takes no value/);
      assert.match(await ok(k.bob, 'credits --help'), /--team/);
    });
  });

  describe('admin credits grant --team', () => {
    it('grants a team dollars: the team’s balance follows, members’ own credits do not; audited as "team acme"', async () => {
      const bobBefore = (await okJson(k.bob, 'credits')).granted_micros;
      assert.deepEqual(await okJson(k.alice, 'admin credits grant --team acme 5 --note "launch"'), { team: 'acme', granted_usd: 5, month: MONTH, note: 'launch' });
      assert.equal(await ok(k.alice, 'admin credits grant acme 2.5 --team'), `Granted $2.50 to team acme for ${MONTH}\n`);
      const team = await okJson(k.carol, 'credits --team');
      assert.equal(team.granted_micros, 7_500_000);
      assert.equal(team.remaining_micros, 107_500_000);
      assert.equal((await okJson(k.bob, 'credits')).granted_micros, bobBefore, 'a member’s own credits are untouched');
      assert.equal((await okJson(k.alice, 'credits')).granted_micros, 0);
      const audit = await okJson(k.alice, 'admin audit --action "admin credits"');
      assert.deepEqual(audit.slice(0, 2).map((r: any) => [r.target, r.outcome]), [['team acme', 'ok'], ['team acme', 'ok']]);
      assert.match(audit[1].detail, /granted \$5\.00/);
    });

    it('refuses unknown teams (and a team named as a user), bad amounts and non-admins, granting nothing', async () => {
      const before = (await okJson(k.bob, 'credits --team')).granted_micros;
      await fails(k.alice, 'admin credits grant --team nope 5', 1, /^error: team "nope" not found\n/);
      await failsJson(k.alice, 'admin credits grant --team nope 5', 1, /team "nope" not found/);
      await fails(k.alice, 'admin credits grant acme 5', 1, /^error: user "acme" not found\nfor a team, add --team\n$/);
      await fails(k.alice, 'admin credits grant --team bob 5', 1, /team "bob" not found/, 'a person is not a team');
      await fails(k.alice, 'admin credits grant --team team:acme 5', 1, /team "team:acme" not found/);
      await fails(k.alice, `admin credits grant --team ${'a'.repeat(5000)} 5`, 1, /team "a{64}…" not found/);
      for (const amount of ['0', 'abc', '1e3', '2000000', '5usd']) await fails(k.alice, `admin credits grant --team acme ${amount}`, 1, /invalid amount/);
      await fails(k.alice, 'admin credits grant --team acme', 2, /missing argument DOLLARS/);
      await fails(k.carol, 'admin credits grant --team acme 100', 1, /"admin credits" is for admins only/, 'a team admin is not an installation admin');
      const audit = await okJson(k.alice, 'admin audit --action "admin credits"');
      assert.ok(audit.some((r: any) => r.target === 'team nope' && r.outcome !== 'ok'), 'a refused grant is audited with its team target');
      assert.equal((await okJson(k.bob, 'credits --team')).granted_micros, before);
    });
  });

  describe('usage marks team traffic', () => {
    before(async () => {
      // Rows as the gateway's metering writes them (team_id set on team-integration traffic):
      // written straight to the database until the gateway serves team integrations in this branch.
      const db = await openDatabase(gh.config.database);
      try {
        const teamId = (await db.selectFrom('teams').select('id').where('name', '=', 'acme').executeTakeFirstOrThrow()).id;
        const bobId = (await db.selectFrom('users').select('id').where('name', '=', 'bob').executeTakeFirstOrThrow()).id;
        const row = (n: number, integration: string, model: string, cost: number, team: number | null) => ({
          created_at: new Date().toISOString(), month: MONTH, request_id: `req-${n}`, user_id: bobId, vm_id: null, vm_name: null, api_key_id: null, api_key_name: null,
          integration_id: null, integration_name: integration, provider: 'anthropic', model, source: 'gateway', api: 'messages', status: 200,
          input_tokens: 10, output_tokens: 5, cache_read_tokens: 0, cache_write_tokens: 0, cost_micros: cost, latency_ms: 3, ttfb_ms: 1, session_id: null, team_id: team,
        });
        await db.insertInto('usage').values([row(1, 'shared', 'claude-sonnet-5-5', 1200, teamId), row(2, 'shared', 'claude-haiku-4-5', 300, teamId), row(3, 'llm', 'claude-sonnet-5-5', 800, null)]).execute();
      } finally {
        await db.destroy();
      }
    });

    it('--json: per group, team_cost_micros is the part the team paid; totals add up', async () => {
      const byIntegration = await okJson(k.bob, 'usage --group integration');
      assert.deepEqual(byIntegration.rows.map((r: any) => [r.integration, r.requests, r.cost_micros, r.team_cost_micros]), [['llm', 1, 800, 0], ['shared', 2, 1500, 1500]]);
      assert.equal(byIntegration.total.cost_micros, 2300);
      assert.equal(byIntegration.total.team_cost_micros, 1500);
      const byModel = await okJson(k.bob, 'usage');
      assert.deepEqual(byModel.rows.map((r: any) => [r.model, r.cost_micros, r.team_cost_micros]), [['claude-haiku-4-5', 300, 300], ['claude-sonnet-5-5', 2000, 1200]]);
      const alice = await okJson(k.alice, 'usage');
      assert.deepEqual(alice.rows, [], 'another member’s traffic is not alice’s own usage');
      assert.equal(alice.total.team_cost_micros, 0);
    });

    it('text: a footnote says how much went to the team; none without team traffic', async () => {
      const text = await ok(k.bob, 'usage --group integration');
      assert.match(text, /^shared\s+2\s/m);
      assert.match(text, /Of this, \$0\.0015 went through team integrations and was charged to the team, not to your credits\.\n$/);
      assert.doesNotMatch(await ok(k.dave, 'usage'), /team/);
    });

    it('team usage (the owner’s view) counts the same team rows per member', async () => {
      const team = await okJson(k.alice, 'team usage');
      assert.deepEqual(team.rows.map((r: any) => [r.member, r.requests, r.cost_micros]), [['bob', 2, 1500]]);
      assert.equal(team.total.cost_micros, (await okJson(k.bob, 'usage')).total.team_cost_micros, 'team usage and the member’s marked usage add up');
    });
  });
});
