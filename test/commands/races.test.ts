// Issue 12.1: commands that check, then write. On SQLite one connection used to serialise them;
// a PostgreSQL pool (and a fleet of instances) does not. Each test starts the racing commands at
// once, from separate SSH sessions, and checks for an outcome some serial order could give.
import crypto from 'node:crypto';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { commandAsserts } from '../helpers/commands.js';
import { DATABASES } from '../helpers/databases.js';
import { startTestGatehouse, type TestGatehouse } from '../helpers/gatehouse.js';
import { newKey, signUp, type ExecResult, type KeyPair } from '../helpers/ssh.js';

for (const database of DATABASES) describe(`check-then-write commands at once (${database.name})`, () => {
  let gh: TestGatehouse;
  let first: KeyPair[];
  let alice: KeyPair;
  let bob: KeyPair;
  const { sh, ok, okJson } = commandAsserts(() => gh.sshPort);

  /** Runs each [user, command] at the same moment; no output may hold a stack or an internal error. */
  const race = (...runs: [KeyPair, string][]): Promise<ExecResult[]> => Promise.all(runs.map(([key, command]) => sh(key, command)));

  /** Exactly one of the racers succeeded; the others failed with `refused` (exit 1). */
  function oneWins(results: ExecResult[], refused: RegExp): void {
    assert.equal(results.filter((r) => r.code === 0).length, 1, results.map((r) => r.stderr).join(' | '));
    for (const r of results.filter((r) => r.code !== 0)) {
      assert.equal(r.code, 1);
      assert.match(r.stderr, refused);
    }
  }

  before(async () => {
    gh = await startTestGatehouse({ ...(await database.env()), GATEHOUSE_VM_POOL: '10.77.0.0/28' });
  });
  after(() => gh.stop());

  it('issue 12.1: five first sign-ups at once make exactly one admin', async () => {
    first = await Promise.all(['alice', 'bob', 'carol', 'dave', 'erin'].map((name) => signUp(gh.sshPort, name)));
    [alice, bob] = first;
    const admins = await Promise.all(first.map(async (key) => (await okJson(key, 'whoami')).admin));
    assert.equal(admins.filter(Boolean).length, 1, `admins: ${admins}`);
  });

  it('issue 12.1: twelve `new` at once from twelve SSH sessions get twelve different pool addresses', async () => {
    const results = await race(...[...first, ...first, first[0], first[1]].map((key): [KeyPair, string] => [key, 'new --json']));
    for (const r of results) assert.equal(r.code, 0, r.stderr);
    const addresses = results.map((r) => JSON.parse(r.stdout).address);
    assert.equal(new Set(addresses).size, 12, addresses.join(' '));
    for (const a of addresses) assert.match(a, /^10\.77\.0\.(?:[1-9]|1[0-4])$/);
  });

  it('issue 12.1: two removals of the last two SSH keys at once leave one key', async () => {
    const user = await signUp(gh.sshPort, 'keeper');
    let keys = [user];
    for (let round = 0; round < 4; round++) {
      const extra = newKey(`extra-${round}`);
      await ok(keys[0], `ssh-key add --name extra-${round} "${extra.public}"`);
      const names = (await okJson(keys[0], 'ssh-key list')).map((k: { name: string }) => k.name);
      assert.equal(names.length, 2);
      const results = await race([keys[0], `ssh-key remove ${names[0]}`], [extra, `ssh-key remove ${names[1]}`]);
      oneWins(results, /cannot remove your last SSH key/);
      keys = results[0].code === 0 ? [extra] : [keys[0]];
      assert.equal((await okJson(keys[0], 'ssh-key list')).length, 1, `round ${round}`);
    }
  });

  it('issue 12.1: two `integrations edit` of one integration at once both apply', async () => {
    const providers = ['anthropic', 'openai', 'fireworks', 'gemini'];
    for (let round = 0; round < 3; round++) {
      await ok(alice, `integrations edit llm ${providers.map((p) => `--${p}=gateway`).join(' ')}`);
      const [a, b] = [providers[round], providers[round + 1]];
      const results = await race([alice, `integrations edit llm --${a}=disabled`], [alice, `integrations edit llm --${b}=disabled --comment "round ${round}"`]);
      for (const r of results) assert.equal(r.code, 0, r.stderr);
      const llm = (await okJson(alice, 'integrations list')).find((i: { name: string }) => i.name === 'llm');
      assert.deepEqual([llm.providers[a].source, llm.providers[b].source], ['disabled', 'disabled'], JSON.stringify(llm));
      assert.equal(llm.comment, `round ${round}`);
    }
  });

  it('issue 12.1: two `admin limits set` of one user at once both apply', async () => {
    const admin = (await Promise.all(first.map(async (key) => ((await okJson(key, 'whoami')).admin ? key : undefined)))).find(Boolean)!;
    const results = await race([admin, 'admin limits set bob --rpm 120'], [admin, 'admin limits set bob --concurrent 7'], [admin, 'admin limits set bob --key-rpm 60']);
    for (const r of results) assert.equal(r.code, 0, r.stderr);
    const shown = await okJson(admin, 'admin limits show bob');
    assert.deepEqual([shown.limits.rpm, shown.limits.concurrent, shown.limits.key_rpm], [120, 7, 60]);
  });

  it('issue 12.1: one name wanted by two sessions at once: one gets it, the other is told it is taken', async () => {
    oneWins(await race([alice, 'new --name same-name'], [bob, 'new --name same-name']), /VM name "same-name" (is|was just) taken/);
    oneWins(await race([alice, 'integrations add llm --name twin'], [alice, 'integrations add llm --name twin']), /name "twin" is already in use/);
    await ok(alice, 'integrations add llm --name one');
    await ok(alice, 'integrations add llm --name two');
    oneWins(await race([alice, 'integrations rename one both'], [alice, 'integrations rename two both']), /name "both" is already in use/);
    oneWins(await race([alice, 'integrations attach twin tag:gpu'], [alice, 'integrations attach twin tag:gpu']), /already attached to tag:gpu/);
    oneWins(await race([alice, 'keys create --name laptop'], [alice, 'keys create --name laptop']), /already have an API key named "laptop"/);
    const shared = newKey('shared');
    oneWins(await race([alice, `ssh-key add "${shared.public}"`], [bob, `ssh-key add "${shared.public}"`]), /is already registered/);
    const [c, d] = [newKey('c'), newKey('d')];
    oneWins(await race([bob, `ssh-key add --name spare "${c.public}"`], [bob, `ssh-key add --name spare "${d.public}"`]), /already have a key named "spare"/);
  });

  it('issue 12.1: attaching to a VM while it is removed ends in either order, never in an internal error', async () => {
    for (let round = 0; round < 5; round++) {
      await ok(alice, `new --name doomed-${round}`);
      const [attach, rm] = await race([alice, `integrations attach twin vm:doomed-${round}`], [alice, `rm doomed-${round}`]);
      assert.equal(rm.code, 0, rm.stderr);
      if (attach.code !== 0) assert.match(attach.stderr, /not found|removed meanwhile/);
      const twin = (await okJson(alice, 'integrations list')).find((i: { name: string }) => i.name === 'twin');
      assert.ok(!twin.attachments.includes(`vm:doomed-${round}`), 'no attachment outlives its VM');
    }
  });

  it('issue 12.1: `integrations edit --attach` to a VM while it is removed ends in either order, never in an internal error', async () => {
    for (let round = 0; round < 5; round++) {
      await ok(alice, `new --name gone-${round}`);
      const [edit, rm] = await race([alice, `integrations edit twin --attach vm:gone-${round}`], [alice, `rm gone-${round}`]);
      assert.equal(rm.code, 0, rm.stderr);
      if (edit.code !== 0) assert.match(edit.stderr, /not found|removed meanwhile/);
      const twin = (await okJson(alice, 'integrations list')).find((i: { name: string }) => i.name === 'twin');
      assert.ok(!twin.attachments.includes(`vm:gone-${round}`), 'no attachment outlives its VM');
    }
  });

  it('recorded no internal error', () => {
    assert.deepEqual(gh.logLines.filter((l) => l.startsWith('ERROR')), []);
  });
});

// The same races across a fleet: two instances on one PostgreSQL database.
for (const database of DATABASES.filter((d) => d.name === 'postgres')) describe(`check-then-write commands on two instances at once (${database.name})`, () => {
  let a: TestGatehouse;
  let b: TestGatehouse;
  const onA = commandAsserts(() => a.sshPort);
  const onB = commandAsserts(() => b.sshPort);

  before(async () => {
    // A fleet shares one secret key: an instance with another would refuse to start.
    const env = { ...(await database.env()), GATEHOUSE_VM_POOL: '10.78.0.0/28', GATEHOUSE_SECRET_KEY: crypto.randomBytes(32).toString('hex') };
    a = await startTestGatehouse(env);
    b = await startTestGatehouse(env);
  });
  after(() => Promise.all([a?.stop(), b?.stop()]));

  it('issue 12.1: first sign-ups on two instances at once make exactly one admin', async () => {
    const keys = await Promise.all([signUp(a.sshPort, 'anna'), signUp(b.sshPort, 'bert'), signUp(a.sshPort, 'cleo'), signUp(b.sshPort, 'dirk')]);
    const admins = await Promise.all(keys.map(async (key, i) => (await (i % 2 ? onB : onA).okJson(key, 'whoami')).admin));
    assert.equal(admins.filter(Boolean).length, 1, `admins: ${admins}`);
  });

  it('issue 12.1: `new` on two instances at once never gives two VMs one pool address', async () => {
    const user = await signUp(a.sshPort, 'erik');
    const results = await Promise.all(Array.from({ length: 12 }, (_, i) => (i % 2 ? onB : onA).sh(user, 'new --json')));
    for (const r of results) assert.equal(r.code, 0, r.stderr);
    const addresses = results.map((r) => JSON.parse(r.stdout).address);
    assert.equal(new Set(addresses).size, 12, addresses.join(' '));
    assert.equal((await onB.okJson(user, 'ls')).length, 12);
  });
});
