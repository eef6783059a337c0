// The resolver (issue #3): IntegrationIndex answers "which integrations apply to this VM?" from
// memory. Arranged over SSH on a real server; the index is built on the same database (SQLite or
// PostgreSQL) with its own Changes, so the test decides when it hears about a change.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Changes } from '../../src/core/changes.js';
import { IntegrationIndex, type IndexedVm, type Snapshot } from '../../src/core/integrationIndex.js';
import { openDatabase, type Db } from '../../src/db/open.js';
import { DATABASES } from '../helpers/databases.js';
import { startTestGatehouse, type TestGatehouse } from '../helpers/gatehouse.js';
import { exec, signUp, type KeyPair } from '../helpers/ssh.js';

for (const database of DATABASES) describe(`IntegrationIndex (${database.name})`, () => {
  let gh: TestGatehouse;
  let alice: KeyPair;
  let bob: KeyPair;
  let db: Db;
  let changes: Changes;
  let index: IntegrationIndex;

  async function ok(key: KeyPair, command: string, stdin?: string): Promise<string> {
    const r = await exec(gh.sshPort, key, command, stdin === undefined ? {} : { stdin });
    assert.equal(r.code, 0, `${command}: ${r.stderr}`);
    return r.stdout;
  }

  function vm(snap: Snapshot, address: string): IndexedVm {
    const v = snap.vmAt(address);
    assert.ok(v, `a VM at ${address}`);
    return v;
  }

  /** Names of the integrations that apply to the VM at this address. */
  function namesAt(snap: Snapshot, address: string): string[] {
    return snap.forVm(vm(snap, address).id).map((i) => i.name);
  }

  const A1 = '127.0.0.2'; // alice, tag llm
  const A2 = '127.0.0.3'; // alice, no tag
  const A3 = '127.0.0.4'; // alice, tags llm and gpu
  const B1 = '127.0.0.5'; // bob, tag llm
  const LATE = '127.0.0.6'; // alice, created after auto:all was attached

  before(async () => {
    gh = await startTestGatehouse(await database.env());
    alice = await signUp(gh.sshPort, 'alice');
    bob = await signUp(gh.sshPort, 'bob');
    await ok(alice, `new --name alpha-one --address ${A1} --tag llm`);
    await ok(alice, `new --name alpha-two --address ${A2}`);
    await ok(alice, `new --name alpha-three --address ${A3} --tag llm --tag gpu`);
    await ok(bob, `new --name bravo-one --address ${B1} --tag llm`);
    await ok(alice, 'integrations add llm --name direct --attach vm:alpha-two');
    await ok(alice, 'integrations add llm --name tagged --attach tag:llm');
    await ok(alice, 'integrations add reflection --name everywhere --fields none');
    await ok(alice, 'integrations add llm --name keys --anthropic=byok --anthropic-key=- --attach tag:gpu', 'sk-ant-index-secret\n');
    // bob's tag:llm and auto:all must never reach alice's VMs, though her VMs carry the tag too.
    await ok(bob, 'integrations add llm --name bobs --attach tag:llm --attach auto:all');
    db = await openDatabase(gh.config.database);
    changes = new Changes();
    index = new IntegrationIndex(db, changes);
  });

  after(async () => {
    await db?.destroy();
    await gh?.stop();
  });

  describe('IntegrationIndex', () => {
    it('resolves direct, tag and auto:all attachments per VM, each owner’s only', async () => {
      const snap = await index.current();
      assert.deepEqual(namesAt(snap, A1), ['llm', 'reflection', 'tagged']);
      assert.deepEqual(namesAt(snap, A2), ['direct', 'llm', 'reflection']);
      assert.deepEqual(namesAt(snap, A3), ['keys', 'llm', 'reflection', 'tagged']);
      assert.deepEqual(namesAt(snap, B1), ['bobs', 'llm', 'reflection']);

      const aliceId = vm(snap, A1).userId;
      const bobId = vm(snap, B1).userId;
      assert.notEqual(aliceId, bobId);
      assert.deepEqual([A1, A2, A3].map((a) => vm(snap, a).userId), [aliceId, aliceId, aliceId]);
      for (const a of [A1, A2, A3]) for (const i of snap.forVm(vm(snap, a).id)) assert.equal(i.userId, aliceId, `${i.name} on ${a} is alice's`);
      for (const i of snap.forVm(vm(snap, B1).id)) assert.equal(i.userId, bobId);
      // Both have an "llm": different integrations.
      assert.notEqual(snap.owned(aliceId, 'llm')?.id, snap.owned(bobId, 'llm')?.id);
      assert.equal(snap.owned(bobId, 'direct'), undefined);
      assert.equal(snap.owned(aliceId, 'bobs'), undefined);
      assert.equal(snap.owned(aliceId, 'direct')?.type, 'llm');
      assert.equal(snap.vmAt('127.0.0.99'), undefined);
      assert.equal(snap.forVm(999_999).length, 0);

      const three = vm(snap, A3);
      assert.deepEqual({ ...three, tags: [...three.tags].sort() }, { id: three.id, userId: aliceId, name: 'alpha-three', address: A3, tags: ['gpu', 'llm'] });
    });

    it('carries which providers have a key, never the key', async () => {
      const snap = await index.current();
      const keys = snap.forVm(vm(snap, A3).id).find((i) => i.name === 'keys');
      assert.deepEqual(keys?.keyedProviders, ['anthropic']);
      assert.deepEqual(keys?.settings, {
        providers: { anthropic: { source: 'byok' }, openai: { source: 'gateway' }, fireworks: { source: 'gateway' }, gemini: { source: 'gateway' } },
        models: null,
      });
      assert.doesNotMatch(JSON.stringify(snap.forVm(vm(snap, A3).id)), /sk-ant-index-secret/);
    });

    it('answers from memory until told of a change, then rebuilds', async () => {
      const before = await index.current();
      assert.equal(await index.current(), before, 'the same snapshot while nothing changed');
      await ok(alice, 'integrations attach everywhere auto:all');
      assert.equal(await index.current(), before, 'not re-read without a change notification');
      assert.ok(!namesAt(before, A2).includes('everywhere'));

      changes.emit('integrations');
      const afterAttach = await index.current();
      assert.notEqual(afterAttach, before);
      for (const a of [A1, A2, A3]) assert.ok(namesAt(afterAttach, a).includes('everywhere'), `everywhere on ${a}`);
      assert.ok(!namesAt(afterAttach, B1).includes('everywhere'), 'not on bob’s VM');
    });

    it('applies auto:all to a VM created after it was attached', async () => {
      await ok(alice, `new --name alpha-late --address ${LATE}`);
      assert.equal((await index.current()).vmAt(LATE), undefined, 'unknown until the vms change is heard');
      changes.emit('vms');
      const snap = await index.current();
      assert.equal(vm(snap, LATE).name, 'alpha-late');
      assert.deepEqual(namesAt(snap, LATE), ['everywhere', 'llm', 'reflection']);
    });

    it('follows tag changes, VM renames and removals, and detached or removed integrations after changes.emit', async () => {
      await ok(alice, 'tag -d alpha-one llm');
      await ok(alice, 'tag alpha-two llm');
      await ok(alice, 'rename alpha-three alpha-tri');
      changes.emit('vms');
      let snap = await index.current();
      assert.deepEqual(namesAt(snap, A1), ['everywhere', 'llm', 'reflection']);
      assert.deepEqual(namesAt(snap, A2), ['direct', 'everywhere', 'llm', 'reflection', 'tagged']);
      assert.equal(vm(snap, A3).name, 'alpha-tri');
      assert.deepEqual(namesAt(snap, A3), ['everywhere', 'keys', 'llm', 'reflection', 'tagged']);

      await ok(alice, 'integrations detach direct vm:alpha-two');
      await ok(alice, 'integrations remove tagged');
      await ok(alice, 'integrations rename keys gpu-keys');
      changes.emit('integrations');
      snap = await index.current();
      assert.deepEqual(namesAt(snap, A2), ['everywhere', 'llm', 'reflection']);
      assert.deepEqual(namesAt(snap, A3), ['everywhere', 'gpu-keys', 'llm', 'reflection']);
      assert.equal(snap.owned(vm(snap, A1).userId, 'tagged'), undefined);

      await ok(alice, 'rm alpha-late');
      changes.emit('vms');
      snap = await index.current();
      assert.equal(snap.vmAt(LATE), undefined);
      assert.deepEqual(namesAt(snap, B1), ['bobs', 'llm', 'reflection'], 'bob’s VM untouched throughout');
    });

    it('rebuilds on a users change too', async () => {
      const before = await index.current();
      changes.emit('users');
      assert.notEqual(await index.current(), before);
    });

    it('a change heard while a build is under way starts a new build for later callers', async () => {
      changes.emit('vms');
      const first = index.current();
      assert.equal(index.current(), first, 'callers share one build');
      changes.emit('vms');
      const second = index.current();
      assert.notEqual(second, first, 'the build that began before the change is not handed out after it');
      const [a, b] = await Promise.all([first, second]);
      assert.notEqual(a, b);
      assert.equal(await index.current(), b, 'the newer build is kept');
    });
  });
});
