// Team integrations over real SSH (issue 14, point 2): `integrations add|edit|remove|rename|attach|
// detach|test --team` per role (owner alice, admin carol, user bob, non-member dave), tag: only,
// no ChatGPT, one namespace per user both ways, `integrations list` showing the team's to every
// member, keys scoped to them; the team's BYOK key never in any output, log line or stored byte.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startMockProvider, type MockProvider } from '../fixtures/mockProvider.js';
import { commandAsserts } from '../helpers/commands.js';
import { DATABASES } from '../helpers/databases.js';
import { startTestGatehouse, type TestGatehouse } from '../helpers/gatehouse.js';
import { storedBytes } from '../helpers/stored.js';
import { signUp, type KeyPair } from '../helpers/ssh.js';

const DOMAIN = 'gatehouse.localhost';
/** The team's keys: the mock accepts the first. None may ever be shown, logged or stored plain. */
const TEAM_KEY = 'sk-ant-team-acme-3c3c9f';
const ROTATED = 'sk-ant-team-rotated-7e7e';
const SECRETS = [TEAM_KEY, ROTATED];
const ROLE_REFUSAL = /^error: only the team's owner or admins can change team integrations; your role in team "acme" is user\n$/;
const NOT_IN_TEAM = /^error: you are not in a team\n/;
const TAG_ONLY = (spec: string) => new RegExp(`^error: team integrations only support tag:<name> attachments, got "${spec}"\\n$`);
const CHATGPT = /^error: ChatGPT subscriptions are only available on personal LLM integrations\n$/;

function assertNoSecret(text: string, where: string): void {
  for (const s of SECRETS) assert.ok(!text.includes(s), `${where} shows a team key:\n${text}`);
}

for (const database of DATABASES) describe(`team integrations (${database.name})`, () => {
  let gh: TestGatehouse;
  let mock: MockProvider;
  const k: Record<'alice' | 'bob' | 'carol' | 'dave', KeyPair> = {} as never;
  const { ok, okJson, fails, failsJson } = commandAsserts(() => gh.sshPort, assertNoSecret);
  const list = (key: KeyPair) => okJson(key, 'integrations list');
  const one = async (key: KeyPair, name: string) => (await list(key)).find((i: any) => i.name === name);

  before(async () => {
    mock = await startMockProvider({ keys: { anthropic: TEAM_KEY } });
    gh = await startTestGatehouse({ ...(await database.env()), GATEHOUSE_ANTHROPIC_UPSTREAM: mock.url });
    for (const name of ['alice', 'bob', 'carol', 'dave'] as const) k[name] = await signUp(gh.sshPort, name);
    await ok(k.alice, 'team create acme');
    await ok(k.alice, 'team add bob');
    await ok(k.alice, 'team add carol admin');
    await ok(k.bob, 'new --name bob-box --address 127.0.0.2 --tag dev');
  });
  after(async () => {
    await gh?.stop();
    await mock?.close();
  });

  it('the owner adds a byok team integration on a tag; the key is read from stdin; the hint is NAME.team.DOMAIN', async () => {
    const out = await ok(k.alice, 'integrations add llm --name shared --team --anthropic=byok --anthropic-key=- --openai=disabled --attach tag:dev', TEAM_KEY);
    assert.equal(out, `Added team "acme" integration shared\nFrom a team member's VM with tag:dev: curl http://shared.team.${DOMAIN}/v1/models\n`);
    const shared = await one(k.alice, 'shared');
    assert.equal(shared.team, 'acme');
    assert.deepEqual(shared.attachments, ['tag:dev']);
    assert.deepEqual(shared.providers.anthropic, { source: 'byok', key: 'set' });
    assert.equal(shared.providers.openai.source, 'disabled');
    assert.equal((await one(k.alice, 'llm')).team, undefined, 'a personal integration has no "team"');
  });

  it('an admin adds one too (gateway source by default), with --json; unattached, it says how to attach to a tag', async () => {
    const j = await okJson(k.carol, 'integrations add llm --name pool --team --comment "for everyone"');
    assert.equal(j.name, 'pool');
    assert.equal(j.team, 'acme');
    assert.deepEqual(j.attachments, []);
    assert.equal(j.providers.anthropic.source, 'gateway');
    const text = await ok(k.carol, 'integrations add llm --name pool2 --team');
    assert.equal(text, `Added team "acme" integration pool2\nIt is not attached to any tag yet: integrations attach pool2 tag:NAME --team\nFrom a team member's VM with that tag: curl http://pool2.team.${DOMAIN}/v1/models\n`);
    await ok(k.carol, 'integrations remove pool2 --team');
  });

  it('every member sees the team integrations, marked (team), with no key; a non-member does not', async () => {
    for (const who of [k.alice, k.bob, k.carol]) {
      const all = await list(who);
      assert.deepEqual(all.filter((i: any) => i.team === 'acme').map((i: any) => i.name), ['pool', 'shared']);
      const line = (await ok(who, 'integrations list')).split('\n').find((l) => l.startsWith('shared  '));
      assert.equal(line, 'shared  llm  providers=anthropic(byok),fireworks(gateway),gemini(gateway)  tag:dev  (team)');
      assert.match(await ok(who, 'integrations list'), /^llm  llm  .*auto:all$/m, 'personal lines are unmarked');
    }
    assert.deepEqual((await list(k.dave)).map((i: any) => i.name), ['llm', 'reflection']);
  });

  it('a user (bob) cannot change team integrations and is told the role needed; a non-member is told to join a team', async () => {
    const before = await one(k.alice, 'shared');
    for (const command of [
      'integrations add llm --name mine --team',
      'integrations edit shared --team --openai=gateway',
      'integrations remove shared --team',
      'integrations rename shared other --team',
      'integrations attach shared tag:ops --team',
      'integrations detach shared tag:dev --team',
    ]) {
      await fails(k.bob, command, 1, ROLE_REFUSAL);
      await fails(k.dave, command, 1, NOT_IN_TEAM);
    }
    await fails(k.bob, 'integrations test shared --team', 1, /only the team's owner or admins can test team integrations; your role in team "acme" is user/);
    await failsJson(k.bob, 'integrations edit shared --team --openai=gateway', 1, /only the team's owner or admins can change team integrations/);
    await fails(k.dave, 'integrations test shared --team', 1, NOT_IN_TEAM);
    // No key is read for a refused command: what was piped in is ignored, nothing changed.
    await fails(k.bob, 'integrations edit shared --team --anthropic-key=-', 1, ROLE_REFUSAL, ROTATED);
    assert.deepEqual(await one(k.alice, 'shared'), before);
  });

  it('without --team, a team integration is pointed at, not "not found"; with --team, a personal one likewise', async () => {
    await fails(k.bob, 'integrations edit shared --openai=gateway', 1, /^error: integration "shared" belongs to team "acme": add --team \(only its owner and admins can change it; your role is user\)\n$/);
    await fails(k.alice, 'integrations remove shared', 1, /^error: integration "shared" belongs to team "acme": add --team\n$/);
    await fails(k.carol, 'integrations attach shared tag:ops', 1, /belongs to team "acme": add --team/);
    await fails(k.alice, 'integrations edit llm --team --openai=disabled', 1, /^error: integration "llm" is your own, not team "acme"'s: leave out --team\n$/);
    await fails(k.alice, 'integrations remove nothing --team', 1, /^error: team "acme" has no integration "nothing"\n/);
    await fails(k.dave, 'integrations edit shared', 1, /^error: integration "shared" not found\n/, 'a non-member learns nothing of the team');
    assert.ok(await one(k.alice, 'shared'));
  });

  it('team integrations attach to tag: only, in exe.dev’s words, whatever the role', async () => {
    for (const who of [k.alice, k.carol, k.bob]) {
      await fails(who, 'integrations attach shared vm:x --team', 1, TAG_ONLY('vm:x'));
      await fails(who, 'integrations attach shared auto:all --team', 1, TAG_ONLY('auto:all'));
    }
    await fails(k.alice, 'integrations detach shared vm:bob-box --team', 1, TAG_ONLY('vm:bob-box'));
    await fails(k.alice, 'integrations add llm --name t2 --team --attach tag:dev --attach vm:bob-box', 1, TAG_ONLY('vm:bob-box'));
    await fails(k.alice, 'integrations edit shared --team --attach auto:all', 1, TAG_ONLY('auto:all'));
    await failsJson(k.alice, 'integrations attach shared vm:x --team', 1, /team integrations only support tag:<name> attachments, got "vm:x"/);
    assert.deepEqual((await one(k.alice, 'shared')).attachments, ['tag:dev']);
    assert.equal(await one(k.alice, 't2'), undefined);
  });

  it('ChatGPT is refused on team integrations, and so is a reflection integration', async () => {
    await fails(k.alice, 'integrations add llm --name gpt --team --openai=chatgpt --openai-account=work', 1, CHATGPT);
    await fails(k.alice, 'integrations add llm --name gpt --team --openai=chatgpt', 1, CHATGPT);
    await fails(k.carol, 'integrations edit shared --team --openai=chatgpt --openai-account=work', 1, CHATGPT);
    await failsJson(k.alice, 'integrations add llm --name gpt --team --openai=chatgpt', 1, /ChatGPT subscriptions are only available on personal LLM integrations/);
    await fails(k.alice, 'integrations add reflection --name about --team --fields all', 1, /team integrations are llm integrations only/);
    assert.equal(await one(k.alice, 'gpt'), undefined);
    assert.equal(await one(k.alice, 'about'), undefined);
  });

  it('one namespace per user: a team name clashes with a member’s personal name and the other way', async () => {
    await ok(k.bob, 'integrations add llm --name bobs');
    await fails(k.alice, 'integrations add llm --name bobs --team', 1, /^error: name "bobs" is already in use\na member of the team has a personal integration of that name/);
    await fails(k.alice, 'integrations add llm --name llm --team', 1, /name "llm" is already in use/);
    await fails(k.bob, 'integrations add llm --name shared', 1, /^error: name "shared" is already in use\nteam "acme" has an integration of that name\n$/);
    await fails(k.bob, 'integrations rename bobs shared', 1, /name "shared" is already in use/);
    await fails(k.carol, 'integrations rename pool bobs --team', 1, /name "bobs" is already in use/);
    await fails(k.carol, 'integrations rename pool shared --team', 1, /^error: name "shared" is already in use\nteam "acme" has an integration of that name\n$/);
    await failsJson(k.alice, 'integrations add llm --name pool --team', 1, /name "pool" is already in use/);
    // No key is read when the name is taken (a typed key is never wasted).
    await fails(k.alice, 'integrations add llm --name bobs --team --anthropic=byok --anthropic-key=-', 1, /already in use/, ROTATED);
    // A non-member's names are their own business.
    await ok(k.dave, 'integrations add llm --name shared');
    await ok(k.dave, 'integrations remove shared');
    await ok(k.bob, 'integrations remove bobs');
  });

  it('owner and admins edit, rotate the key, rename, attach, detach and remove; the audit row names the team', async () => {
    const edited = await okJson(k.carol, 'integrations edit shared --team --anthropic-key=-', ROTATED);
    assert.equal(edited.team, 'acme');
    assert.deepEqual(edited.providers.anthropic, { source: 'byok', key: 'set' });
    assert.deepEqual(await okJson(k.carol, 'integrations attach shared tag:ops --team'), { name: 'shared', attached: 'tag:ops', team: 'acme' });
    assert.equal(await ok(k.alice, 'integrations detach shared tag:ops --team'), 'Detached team "acme" integration shared from tag:ops\n');
    await fails(k.alice, 'integrations detach shared tag:ops --team', 1, /is not attached to tag:ops/);
    assert.deepEqual(await okJson(k.alice, 'integrations rename pool common --team'), { old: 'pool', name: 'common', team: 'acme' });
    assert.equal(await ok(k.carol, 'integrations rename common pool --team'), 'Renamed team "acme" integration common to pool\n');
    assert.deepEqual(await okJson(k.alice, 'integrations edit shared --team --anthropic-key=-', TEAM_KEY).then((j) => j.providers.anthropic), { source: 'byok', key: 'set' });
    const audit = await okJson(k.alice, 'admin audit --action "integrations edit" --json');
    const row = audit.find((r: any) => r.actor === 'carol');
    assert.equal(row.target, 'integration shared');
    assert.match(row.detail, /team acme/);
    assert.match(row.detail, /anthropic key replaced/);
    assert.equal(row.outcome, 'ok');
  });

  it('test --team probes the team’s key (owner and admins)', async () => {
    assert.equal(await ok(k.alice, 'integrations test shared --team'), 'anthropic  ok\n');
    assert.deepEqual(await okJson(k.carol, 'integrations test shared --team'), { name: 'shared', results: { anthropic: 'ok' } });
    assert.equal(mock.lastRequest()!.headers['x-api-key'], TEAM_KEY, 'the upstream saw the team’s key');
  });

  it('keys create --integration takes the team’s integrations for members; keys list names them', async () => {
    const j = await okJson(k.bob, 'keys create --name ci --integration shared --integration llm');
    assert.deepEqual(j.integrations, ['shared', 'llm']);
    const listed = (await okJson(k.bob, 'keys list')).find((x: any) => x.name === 'ci');
    assert.deepEqual(listed.integrations.sort(), ['llm', 'shared']);
    assert.match(await ok(k.bob, 'keys list'), /integrations=(llm,shared|shared,llm)/);
    await fails(k.dave, 'keys create --name ci --integration shared', 1, /integration "shared" not found/);
  });

  it('malformed and oversized input is refused plainly', async () => {
    await fails(k.alice, `integrations add llm --name ${'a'.repeat(64)} --team`, 1, /invalid integration name/);
    await fails(k.alice, 'integrations add llm --name Bad --team', 1, /invalid integration name "Bad"/);
    await fails(k.alice, 'integrations attach shared tag:BAD --team', 1, /invalid tag/i);
    await fails(k.alice, `integrations attach shared tag:${'a'.repeat(5000)} --team`, 1, /^error: /);
    await fails(k.alice, `integrations attach shared vm:${'x'.repeat(5000)} --team`, 1, /team integrations only support tag:<name> attachments, got "vm:x{61}…"/);
    await fails(k.alice, "integrations attach shared 'vm:\x1b[31mred' --team", 1, /got "vm:\\u001b\[31mred"/);
    await fails(k.alice, 'integrations edit shared --team=yes', 2, /flag --team takes no value/);
    await fails(k.alice, 'integrations remove shared --team acme', 2, /unexpected argument "acme"/);
    await fails(k.alice, 'integrations add llm --name k2 --team --anthropic=byok --anthropic-key=-', 1, /does not look like an API key/, `${'k'.repeat(2000)}`);
    assert.match(await ok(k.alice, 'integrations add --help'), /--team\s+your team's integration/);
    for (const verb of ['edit', 'remove', 'rename', 'attach', 'detach', 'test']) assert.match(await ok(k.alice, `integrations ${verb} --help`), /--team/);
  });

  it('the team’s key is never in any output (checked on every command above), log line, or stored byte', async () => {
    const removed = await okJson(k.alice, 'integrations remove pool --team');
    assert.deepEqual(removed, { removed: 'pool', team: 'acme' });
    for (const line of gh.rawLog) assertNoSecret(line, 'the log');
    for (const { where, bytes } of await storedBytes(gh)) {
      for (const s of SECRETS) assert.equal(bytes.includes(Buffer.from(s)), false, `${where} holds a team key in plain text`);
    }
    assert.ok(await one(k.bob, 'shared'), 'still there for the gateway suites');
  });
});
