// ssh-key list|add|remove|rename over real SSH (issue #2): key policy, one key one account,
// the last key stays, and an added key really logs in as the same user.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import ssh2 from 'ssh2';
import { commandAsserts } from '../helpers/commands.js';
import { DATABASES } from '../helpers/databases.js';
import { startTestGatehouse, tempDir, type TestGatehouse } from '../helpers/gatehouse.js';
import { newKey, openShell, signUp, type KeyPair } from '../helpers/ssh.js';

for (const database of DATABASES) describe(`ssh-key commands (${database.name})`, () => {
  let gh: TestGatehouse;
  let alice: KeyPair;
  let bob: KeyPair;

  const { sh, ok, okJson, fails, failsJson } = commandAsserts(() => gh.sshPort);

  /** The fingerprint OpenSSH itself computes for a public key. */
  function sshKeygenFingerprint(publicKey: string): string {
    const file = path.join(tempDir('gatehouse-key-'), 'key.pub');
    fs.writeFileSync(file, publicKey + '\n');
    return execFileSync('ssh-keygen', ['-lf', file], { encoding: 'utf8' }).split(' ')[1];
  }

  function keyOf(type: 'rsa' | 'ecdsa', bits: number, comment = 'gen'): KeyPair {
    const pair = ssh2.utils.generateKeyPairSync(type, { bits, comment });
    return { private: pair.private, public: pair.public };
  }

  /** Builds "ssh-rsa BASE64" by hand from SSH wire strings, to craft keys no generator would make. */
  function wireKey(type: string, ...parts: Buffer[]): string {
    const str = (b: Buffer) => Buffer.concat([u32(b.length), b]);
    return `${type} ${Buffer.concat([str(Buffer.from(type)), ...parts.map(str)]).toString('base64')}`;
  }
  function u32(n: number): Buffer {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(n);
    return b;
  }

  before(async () => {
    gh = await startTestGatehouse(await database.env());
    alice = await signUp(gh.sshPort, 'alice');
    bob = await signUp(gh.sshPort, 'bob');
  });
  after(() => gh.stop());

  describe('ssh-key list', () => {
    it('shows the sign-up key, its type and OpenSSH fingerprint, marked in use', async () => {
      const lines = (await ok(alice, 'ssh-key list')).trimEnd().split('\n');
      assert.match(lines[0], /^NAME {2,}TYPE {2,}FINGERPRINT {2,}ADDED$/);
      assert.equal(lines.length, 2);
      const fp = sshKeygenFingerprint(alice.public);
      assert.match(lines[1], new RegExp(`^ed25519-key {2,}ssh-ed25519 {2,}${fp.replace(/[+/]/g, '\\$&')} {2,}\\d{4}-\\d\\d-\\d\\d {2}in use$`));
    });

    it('--json gives each key’s name, type, fingerprint, in_use and times; the alias ls works', async () => {
      const [k] = await okJson(alice, 'ssh-key list');
      assert.deepEqual(Object.keys(k).sort(), ['created_at', 'fingerprint', 'in_use', 'last_used_at', 'name', 'type']);
      assert.equal(k.name, 'ed25519-key');
      assert.equal(k.type, 'ssh-ed25519');
      assert.equal(k.fingerprint, sshKeygenFingerprint(alice.public));
      assert.equal(k.in_use, true);
      assert.ok(!Number.isNaN(Date.parse(k.last_used_at)), 'last_used_at is set by the login');
      const names = async (cmd: string) => (await okJson(alice, cmd)).map((x: any) => [x.name, x.fingerprint]);
      assert.deepEqual(await names('ssh-key ls'), await names('ssh-key list'));
    });

    it('shows only the caller’s keys', async () => {
      const names = (await okJson(bob, 'ssh-key list')).map((k: any) => k.name);
      assert.deepEqual(names, ['ed25519-key']);
    });

    it('refuses unknown flags and arguments', async () => {
      await fails(alice, 'ssh-key list --all', 2, /unknown flag --all/);
      await fails(alice, 'ssh-key list extra', 2, /unexpected argument "extra"/);
    });
  });

  describe('ssh-key add', () => {
    it('adds a key given as an argument; the new key then logs in as the same user', async () => {
      const second = newKey('desktop');
      assert.equal(await ok(alice, `ssh-key add "${second.public}"`), `Added SSH key desktop (${sshKeygenFingerprint(second.public)})\n`);
      const me = await okJson(second, 'whoami');
      assert.equal(me.name, 'alice');
      assert.deepEqual(me.keys.map((k: any) => [k.name, k.in_use]), [['ed25519-key', false], ['desktop', true]]);
    });

    it('adds a key from stdin, with --name; --json gives the key', async () => {
      const third = newKey('whatever');
      const k = await okJson(alice, 'ssh-key add --name work.laptop@corp', third.public + '\n');
      assert.deepEqual({ ...k, created_at: 0 }, { name: 'work.laptop@corp', type: 'ssh-ed25519', fingerprint: sshKeygenFingerprint(third.public), in_use: false, created_at: 0, last_used_at: null });
      assert.equal((await okJson(third, 'whoami')).name, 'alice');
    });

    it('reads the key from stdin when the argument is -', async () => {
      const k = newKey('dash');
      assert.equal((await okJson(bob, 'ssh-key add -', k.public)).name, 'dash');
      assert.equal((await okJson(k, 'whoami')).name, 'bob');
    });

    it('in the interactive prompt, asks for the key when none is given', async () => {
      const k = newKey('pasted');
      const term = await openShell(gh.sshPort, alice);
      try {
        await term.waitForPromptCount(1);
        term.type('ssh-key add\r');
        await term.waitFor(/Public key:/);
        term.type(`${k.public}\r`);
        await term.waitFor(/Added SSH key pasted \(SHA256:/);
      } finally {
        term.close();
      }
      assert.equal((await okJson(k, 'whoami')).name, 'alice');
    });

    it('names a key from its type when the comment is not a valid name, numbered past the names taken', async () => {
      assert.equal((await okJson(bob, `ssh-key add '${newKey('ünïcode comment').public}'`)).name, 'ed25519-key-2', 'the sign-up key is ed25519-key');
      assert.equal((await okJson(bob, `ssh-key add '${newKey('').public}'`)).name, 'ed25519-key-3');
      assert.equal((await okJson(bob, `ssh-key add '${newKey('my laptop').public}'`)).name, 'my', 'the first word of the comment');
    });

    it('accepts ecdsa and rsa ≥ 2048 keys, with fingerprints as ssh-keygen prints them', async () => {
      for (const key of [keyOf('ecdsa', 256, 'ec256'), keyOf('ecdsa', 521, 'ec521'), keyOf('rsa', 2048, 'rsa2048')]) {
        const added = await okJson(bob, 'ssh-key add', key.public);
        assert.equal(added.fingerprint, sshKeygenFingerprint(key.public));
        assert.equal((await okJson(key, 'whoami')).name, 'bob', `${added.type} logs in`);
      }
    });

    it('refuses rsa keys shorter than 2048 bits, counted exactly', async () => {
      await fails(bob, 'ssh-key add', 1, /rsa key of 1024 bits is too short/, keyOf('rsa', 1024).public);
      // A 256-byte modulus whose top byte is 0x01 has 2041 bits, not 2048.
      const n = Buffer.alloc(256, 0xff);
      n[0] = 0x01;
      await fails(bob, `ssh-key add '${wireKey('ssh-rsa', Buffer.from([1, 0, 1]), n)}'`, 1, /rsa key of 2041 bits is too short/);
    });

    it('refuses garbage, mismatched and unsupported keys, and adds nothing', async () => {
      const count = (await okJson(bob, 'ssh-key list')).length;
      const ed = newKey().public.split(' ')[1];
      const cases: [string, RegExp][] = [
        ['hello', /not an OpenSSH public key/],
        ['ssh-ed25519 not!base64', /not base64/],
        ['ssh-ed25519 AAAA', /malformed/],
        [`ssh-rsa ${ed}`, /says "ssh-rsa" but holds a ssh-ed25519 key/],
        [`ssh-ed25519 ${ed}AAAA`, /malformed/], // trailing bytes
        [wireKey('ssh-dss', Buffer.alloc(20)), /key type "ssh-dss" is not accepted/],
        [wireKey('ecdsa-sha2-nistp256', Buffer.from('nistp384'), Buffer.alloc(65, 4)), /bad ecdsa key data/],
        [wireKey('ssh-ed25519', Buffer.alloc(31)), /bad ed25519 key length/],
        [`no-pty ${newKey().public}`, /not an OpenSSH public key/],
      ];
      for (const [text, message] of cases) await fails(bob, 'ssh-key add', 1, message, text);
      await failsJson(bob, 'ssh-key add', 1, /not an OpenSSH public key/, 'hello world');
      assert.equal((await okJson(bob, 'ssh-key list')).length, count);
    });

    it('refuses oversized input, on the command line and on stdin', async () => {
      await fails(bob, `ssh-key add 'ssh-ed25519 ${'A'.repeat(20_000)}'`, 1, /not an OpenSSH public key/);
      await fails(bob, 'ssh-key add', 1, /too large/, 'x'.repeat(2 << 20));
    });

    it('refuses a private key without echoing any of it, nor logging it', async () => {
      const key = newKey();
      const stderr = await fails(bob, 'ssh-key add', 1, /PRIVATE key/, key.private);
      const secretLine = key.private.split('\n')[1];
      assert.ok(!stderr.includes(secretLine));
      assert.ok(!gh.logLines.some((l) => l.includes(secretLine)));
    });

    it('refuses several keys at once', async () => {
      const a = newKey('a1');
      const b = newKey('b1');
      await fails(bob, 'ssh-key add', 1, /one key at a time/, `${a.public}\n${b.public}\n`);
      const r = await sh(a, 'whoami');
      assert.equal(r.code, 1, 'neither key was added');
    });

    it('a key already registered, to this account or another, is refused without naming the owner', async () => {
      const own = await fails(alice, `ssh-key add '${alice.public}'`, 1, /is already registered/);
      const other = await fails(bob, `ssh-key add '${alice.public}'`, 1, /is already registered/);
      assert.equal(own, other, 'the same answer either way');
      assert.doesNotMatch(other, /alice/);
      assert.equal((await okJson(alice, 'whoami')).name, 'alice');
    });

    it('a duplicate name is refused with a hint; --name is validated', async () => {
      await fails(alice, `ssh-key add --name desktop '${newKey().public}'`, 1, /you already have a key named "desktop"[\s\S]*--name/);
      await fails(alice, `ssh-key add --name 'bad name' '${newKey().public}'`, 1, /invalid key name "bad name"/);
      await fails(alice, `ssh-key add --name '${'n'.repeat(65)}' '${newKey().public}'`, 1, /invalid key name/);
      await fails(alice, `ssh-key add --name 'x\x1b[2J' '${newKey().public}'`, 1, /invalid key name "x\\u001b\[2J"/);
      await fails(alice, `ssh-key add --name`, 2, /flag --name needs a value/);
    });

    it('with no key and empty stdin, says how to give one (exit 2)', async () => {
      await fails(alice, 'ssh-key add', 2, /no key given/, '');
      await failsJson(alice, 'ssh-key add', 2, /no key given/, '   \n');
    });
  });

  describe('ssh-key remove', () => {
    let carol: KeyPair;
    let spare: KeyPair;
    before(async () => {
      carol = await signUp(gh.sshPort, 'carol');
      spare = newKey('spare');
    });

    it('refuses to remove the last key', async () => {
      await fails(carol, 'ssh-key remove ed25519-key', 1, /cannot remove your last SSH key[\s\S]*ssh-key add/);
      await failsJson(carol, 'ssh-key rm ed25519-key', 1, /last SSH key/);
      assert.equal((await okJson(carol, 'whoami')).name, 'carol');
    });

    it('removes a key by name; it can no longer log in', async () => {
      await ok(carol, `ssh-key add '${spare.public}'`);
      assert.equal(await ok(carol, 'ssh-key remove spare'), 'Removed SSH key spare\n');
      const r = await sh(spare, 'whoami');
      assert.equal(r.code, 1);
      assert.match(r.stderr, /Please complete registration/);
    });

    it('removes a key by fingerprint, with --json; even the one in use', async () => {
      await ok(carol, `ssh-key add '${spare.public}'`);
      const fp = sshKeygenFingerprint(carol.public);
      assert.deepEqual(await okJson(carol, `ssh-key rm ${fp}`), { removed: 'ed25519-key', fingerprint: fp });
      assert.equal((await okJson(spare, 'whoami')).name, 'carol');
      assert.equal((await sh(carol, 'whoami')).code, 1);
    });

    it('another user’s key is not found, by name or by fingerprint', async () => {
      await ok(bob, `ssh-key add '${newKey('extra').public}'`);
      await fails(spare, 'ssh-key remove ed25519-key', 1, /SSH key "ed25519-key" not found/);
      await fails(spare, `ssh-key remove ${sshKeygenFingerprint(bob.public)}`, 1, /not found/);
      assert.equal((await okJson(bob, 'whoami')).name, 'bob');
    });

    it('needs exactly one key', async () => {
      await fails(spare, 'ssh-key remove', 2, /missing argument KEY/);
      await fails(spare, 'ssh-key remove a b', 2, /unexpected argument "b"/);
      await fails(spare, `ssh-key remove '${'k'.repeat(5000)}'`, 1, /not found/);
    });
  });

  describe('ssh-key rename', () => {
    it('renames a key; the new name shows in list', async () => {
      assert.equal(await ok(bob, 'ssh-key rename ed25519-key main'), 'Renamed SSH key ed25519-key to main\n');
      assert.deepEqual(await okJson(bob, 'ssh-key rename main main'), { old: 'main', name: 'main' });
      assert.ok((await okJson(bob, 'ssh-key list')).some((k: any) => k.name === 'main' && k.in_use));
    });

    it('renames by fingerprint', async () => {
      const fp = sshKeygenFingerprint(bob.public);
      assert.deepEqual(await okJson(bob, `ssh-key rename ${fp} primary`), { old: 'main', name: 'primary' });
    });

    it('refuses a name already used, an invalid name, and another user’s key', async () => {
      await fails(bob, 'ssh-key rename primary extra', 1, /you already have a key named "extra"/);
      await fails(bob, "ssh-key rename primary 'has space'", 1, /invalid key name/);
      await fails(bob, 'ssh-key rename primary -x', 2, /unknown flag -x/);
      await fails(bob, 'ssh-key rename ed25519-key mine', 1, /SSH key "ed25519-key" not found/);
      assert.ok((await okJson(alice, 'ssh-key list')).some((k: any) => k.name === 'ed25519-key'));
    });

    it('needs two names', async () => {
      await fails(bob, 'ssh-key rename primary', 2, /missing argument NEW/);
      await fails(bob, 'ssh-key rename a b c', 2, /unexpected argument "c"/);
    });
  });

  describe('ssh-key group', () => {
    it('an unknown subcommand names the valid ones (exit 2)', async () => {
      await fails(alice, 'ssh-key frobnicate', 2, /^error: "ssh-key" subcommand "frobnicate" not found, valid subcommands are: list, add, remove, rename\n/);
      await failsJson(alice, 'ssh-key frobnicate', 2, /^"ssh-key" subcommand "frobnicate" not found, valid subcommands are: list, add, remove, rename$/);
    });

    it('alone, or with --help, lists its subcommands; --json too', async () => {
      const text = await ok(alice, 'ssh-key');
      for (const sub of ['list', 'add', 'remove', 'rename']) assert.match(text, new RegExp(`ssh-key ${sub}`));
      assert.equal(await ok(alice, 'ssh-key --help'), text);
      const j = await okJson(alice, 'ssh-key');
      assert.deepEqual(j.subcommands, ['list', 'add', 'remove', 'rename']);
      assert.equal(j.command, 'ssh-key');
    });

    it('an unknown flag on the group is refused', async () => {
      await fails(alice, 'ssh-key --foo', 2, /unknown flag --foo/);
    });
  });

  describe('the server log', () => {
    it('recorded no internal error', () => {
      assert.deepEqual(gh.logLines.filter((l) => l.startsWith('ERROR')), []);
    });
  });
});
