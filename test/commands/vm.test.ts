// VM commands over real SSH: new, ls, rm, tag, rename, comment (issue #2).
// One gatehouse per database (SQLite, PostgreSQL), with a /29 pool (6 usable addresses) so exhaustion is reachable.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { commandAsserts } from '../helpers/commands.js';
import { DATABASES } from '../helpers/databases.js';
import { startTestGatehouse, type TestGatehouse } from '../helpers/gatehouse.js';
import { signUp, type KeyPair } from '../helpers/ssh.js';

for (const database of DATABASES) describe(`VM commands (${database.name})`, () => {
  let gh: TestGatehouse;
  let alice: KeyPair;
  let bob: KeyPair;

  const { sh, ok, okJson, fails, failsJson } = commandAsserts(() => gh.sshPort);
  const VM_NAME = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;

  async function vms(key: KeyPair): Promise<any[]> {
    return okJson(key, 'ls');
  }

  async function vm(key: KeyPair, name: string): Promise<any> {
    return (await vms(key)).find((v) => v.name === name);
  }

  before(async () => {
    gh = await startTestGatehouse({ ...(await database.env()), GATEHOUSE_VM_POOL: '10.99.0.0/29' });
    alice = await signUp(gh.sshPort, 'alice');
    bob = await signUp(gh.sshPort, 'bob');
  });
  after(() => gh.stop());

  describe('new', () => {
    it('registers a VM with name, address, tags and comment', async () => {
      const out = await ok(alice, `new --name devbox --address 10.50.0.7 --tag llm --tag gpu --comment "Alice's box"`);
      assert.equal(out, 'Created VM devbox at 10.50.0.7 (tags: gpu, llm)\n');
      const v = await vm(alice, 'devbox');
      assert.deepEqual({ ...v, created_at: undefined }, { name: 'devbox', address: '10.50.0.7', tags: ['gpu', 'llm'], comment: "Alice's box", created_at: undefined });
      assert.ok(!Number.isNaN(Date.parse(v.created_at)));
    });

    it('--json prints the created VM', async () => {
      const v = await okJson(alice, 'new --name jsonbox --address 10.50.0.8 --tag x --tag x');
      assert.deepEqual(Object.keys(v).sort(), ['address', 'comment', 'created_at', 'name', 'tags']);
      assert.equal(v.name, 'jsonbox');
      assert.deepEqual(v.tags, ['x'], 'a repeated tag is kept once');
      assert.equal(v.comment, '');
    });

    it('accepts names of exactly 5 and 52 characters', async () => {
      await ok(alice, 'new --name abcde --address 10.50.1.1');
      const long = 'a' + 'b'.repeat(50) + 'c';
      await ok(alice, `new --name ${long} --address 10.50.1.2`);
      assert.ok(await vm(alice, long));
    });

    it('refuses names that break the rules, and creates nothing', async () => {
      const before = (await vms(alice)).length;
      for (const bad of ['abcd', 'a'.repeat(53), 'Devbox', '1devbox', 'dev--box', 'devbox-', 'dev_box', 'dev.box', 'dévbox', 'ａｂｃｄｅ']) {
        await fails(alice, `new --name '${bad}' --address 10.50.2.1`, 1, /invalid VM name/);
      }
      await fails(alice, 'new --name -devbox --address 10.50.2.1', 2, /unknown flag|needs a value/);
      await failsJson(alice, 'new --name Bad --address 10.50.2.1', 1, /invalid VM name "Bad"/);
      assert.equal((await vms(alice)).length, before);
    });

    it('echoes a hostile name only escaped and shortened', async () => {
      const stderr = await fails(alice, `new --name '${'x'.repeat(20_000)}'`, 1, /invalid VM name/);
      assert.ok(stderr.length < 400, `error is ${stderr.length} chars`);
      const esc = await fails(alice, "new --name 'dev\x1b[2Jbox'", 1, /invalid VM name/);
      assert.doesNotMatch(esc, /\x1b/, 'no raw escape sequence reaches the terminal');
    });

    it('a name is unique across the installation; another user is told it is taken', async () => {
      await fails(bob, 'new --name devbox --address 10.50.3.1', 1, /VM name "devbox" is taken/);
    });

    it('an address is unique across all users, whatever its spelling', async () => {
      await fails(bob, 'new --name bobbox --address 10.50.0.7', 1, /address 10\.50\.0\.7 is already registered/);
      await ok(alice, 'new --name six-one --address 2001:DB8:0:0:0:0:0:1');
      assert.equal((await vm(alice, 'six-one')).address, '2001:db8::1', 'IPv6 is stored compressed and lowercase');
      await fails(bob, 'new --name bobbox --address 2001:0db8::0001', 1, /address 2001:db8::1 is already registered/);
      await fails(bob, 'new --name bobbox --address [2001:db8::1]', 1, /already registered/);
    });

    it('stores an IPv4-mapped IPv6 address as IPv4', async () => {
      const v = await okJson(alice, 'new --name mapped --address ::ffff:10.50.0.9');
      assert.equal(v.address, '10.50.0.9');
      await fails(bob, 'new --name bobbox --address 10.50.0.9', 1, /already registered/);
      await fails(bob, 'new --name bobbox --address ::ffff:a32:9', 1, /address 10\.50\.0\.9 is already registered/);
    });

    it('refuses addresses that are not a single host a VM could call from', async () => {
      for (const bad of ['nope', '10.0.0', '10.0.0.256', '010.0.0.1', '10.0.0.1/24', '1::2::3', 'fe80::1%eth0', '0.0.0.0', '::', '224.0.0.1', 'ff02::1', '255.255.255.255']) {
        await fails(bob, `new --name bobbox --address '${bad}'`, 1, /invalid address/);
      }
      await fails(bob, 'new --name bobbox --address', 2, /flag --address needs a value/);
      assert.equal((await vms(bob)).length, 0);
    });

    it('validates tags and comments', async () => {
      for (const bad of ['GPU', '1x', 'a.b', 'x'.repeat(65), 'ünï']) {
        await fails(bob, `new --name bobbox --address 10.50.4.1 --tag '${bad}'`, 1, /invalid tag/);
      }
      await fails(bob, `new --name bobbox --address 10.50.4.1 --comment '${'c'.repeat(501)}'`, 1, /comment is too long/);
      await fails(bob, "new --name bobbox --address 10.50.4.1 --comment 'a\x1bb'", 1, /control characters/);
      await fails(bob, "new --name bobbox --address 10.50.4.1 --comment 'two\nlines'", 1, /control characters/);
      const v = await okJson(bob, `new --name bobbox --address 10.50.4.1 --tag a_b-c --comment '${'ü'.repeat(500)}'`);
      assert.equal(v.comment, 'ü'.repeat(500));
      assert.deepEqual(v.tags, ['a_b-c']);
    });

    it('refuses bad flags and extra arguments with exit status 2', async () => {
      await fails(bob, 'new --foo', 2, /^error: unknown flag --foo\n/);
      await fails(bob, 'new -q', 2, /unknown flag -q/);
      await fails(bob, 'new --name aaaaa --name bbbbb', 2, /flag --name was given more than once/);
      await fails(bob, 'new stray-word', 2, /unexpected argument "stray-word"/);
      await failsJson(bob, 'new --foo', 2, /^unknown flag --foo$/);
    });

    it('a flag without its value is refused, not silently dropped; a boolean takes no value', async () => {
      const before = (await vms(bob)).length;
      await fails(bob, 'new --name flagbox --address 10.50.5.1 --tag', 2, /flag --tag needs a value/);
      await fails(bob, 'new --name flagbox --address 10.50.5.1 --tag=', 2, /flag --tag needs a value/);
      await fails(bob, 'new --name flagbox --tag --address 10.50.5.1', 2, /flag --tag needs a value/);
      await fails(bob, 'new --name flagbox --address 10.50.5.1 --comment -x', 2, /flag --comment needs a value/);
      await fails(bob, 'new --name flagbox --address 10.50.5.1 --json=yes', 2, /flag --json takes no value/);
      assert.equal((await vms(bob)).length, before);
      const v = await okJson(bob, 'new --name flagbox --address 10.50.5.1 --comment= --tag=a');
      assert.deepEqual([v.comment, v.tags], ['', ['a']], '--comment= is an explicit empty comment');
    });

    it('refuses shell operators instead of running anything', async () => {
      await fails(bob, 'new --name pipebox | rm bobbox', 2, /shell operator "\|" is not supported/);
      await fails(bob, 'new --name semibox; rm bobbox', 2, /shell operator ";" is not supported/);
      await fails(bob, 'new --name subbox --comment $(whoami)', 2, /shell operator/);
      assert.ok(await vm(bob, 'bobbox'), 'nothing after the operator ran');
      assert.equal(await vm(bob, 'pipebox'), undefined);
    });
  });

  describe('new: address pool', () => {
    let pooler: KeyPair;
    before(async () => (pooler = await signUp(gh.sshPort, 'pooler')));

    it('allocates the next free pool address, skipping any user’s, and generates two-word names', async () => {
      await ok(bob, 'new --name pool-two --address 10.99.0.2');
      const got: string[] = [];
      for (let i = 0; i < 2; i++) {
        const v = await okJson(pooler, 'new');
        assert.match(v.name, VM_NAME);
        assert.match(v.name, /^[a-z]+-[a-z]+$/);
        assert.ok(v.name.length >= 5 && v.name.length <= 52);
        got.push(v.address);
      }
      assert.deepEqual(got, ['10.99.0.1', '10.99.0.3']);
      assert.equal(new Set((await vms(pooler)).map((v) => v.name)).size, 2);
    });

    it('concurrent registrations each get their own address', async () => {
      const results = await Promise.all([0, 1, 2].map(() => okJson(pooler, 'new')));
      assert.deepEqual(results.map((v) => v.address).sort(), ['10.99.0.4', '10.99.0.5', '10.99.0.6']);
      assert.equal(new Set((await vms(pooler)).map((v) => v.name)).size, 5);
    });

    it('says clearly when the pool is exhausted and creates nothing; an explicit address still works', async () => {
      const stderr = await fails(pooler, 'new --name overflow', 1, /the VM address pool is exhausted/);
      assert.match(stderr, /--address/);
      await failsJson(pooler, 'new', 1, /pool is exhausted/);
      assert.equal((await vms(pooler)).length, 5);
      await ok(pooler, 'new --name overflow --address 10.98.0.1');
    });

    it('an address freed by rm is allocated again', async () => {
      const victim = (await vms(pooler)).find((v) => v.address === '10.99.0.4');
      await ok(pooler, `rm ${victim.name}`);
      assert.equal((await okJson(pooler, 'new --name reused')).address, '10.99.0.4');
    });
  });

  describe('ls', () => {
    let carol: KeyPair;
    before(async () => {
      carol = await signUp(gh.sshPort, 'carol');
    });

    it('says how to register a VM when there are none; --json gives []', async () => {
      assert.match(await ok(carol, 'ls'), /^No VMs yet\. Register one with: new /);
      assert.deepEqual(await okJson(carol, 'ls'), []);
    });

    it('prints aligned columns, two spaces apart, sorted by name', async () => {
      await ok(carol, 'new --name web-frontend --address 10.60.0.1 --tag web --tag prod --comment "public site"');
      await ok(carol, 'new --name dev-a --address 2001:db8::a:1 --tag dev');
      await ok(carol, 'new --name dev-b --address 10.60.0.3');
      const lines = (await ok(carol, 'ls')).trimEnd().split('\n');
      assert.equal(lines.length, 4);
      assert.match(lines[0], /^NAME {2,}ADDRESS {2,}TAGS {2,}COMMENT$/);
      assert.deepEqual(lines.slice(1).map((l) => l.split(/ {2,}/)[0]), ['dev-a', 'dev-b', 'web-frontend']);
      for (const col of ['ADDRESS', 'TAGS', 'COMMENT']) {
        const at = lines[0].indexOf(col);
        for (const line of lines.slice(1).filter((l) => l.length > at)) {
          assert.match(line.slice(at - 2, at + 1), /^ {2}\S$/, `${col} column aligned in: ${line}`);
        }
      }
      assert.match(lines[1], /^dev-a +2001:db8::a:1 +dev\s*$/);
      assert.match(lines[2], /^dev-b +10\.60\.0\.3 +-\s*$/);
      assert.match(lines[3], /^web-frontend +10\.60\.0\.1 +prod,web +public site$/);
      assert.doesNotMatch(lines.join('\n'), /\x1b/, 'no colors without a PTY');
    });

    it('--json lists each VM in the same shape as new', async () => {
      const list = await okJson(carol, 'ls');
      assert.deepEqual(list.map((v: any) => v.name), ['dev-a', 'dev-b', 'web-frontend']);
      assert.deepEqual({ ...list[2], created_at: 0 }, { name: 'web-frontend', address: '10.60.0.1', tags: ['prod', 'web'], comment: 'public site', created_at: 0 });
    });

    it('patterns match a name or a tag, with * and ?, and several patterns are a union', async () => {
      const names = async (args: string) => (await okJson(carol, `ls ${args}`)).map((v: any) => v.name);
      assert.deepEqual(await names('dev-*'), ['dev-a', 'dev-b']);
      assert.deepEqual(await names("'dev-?'"), ['dev-a', 'dev-b']);
      assert.deepEqual(await names('dev-a'), ['dev-a']);
      assert.deepEqual(await names('dev'), ['dev-a'], 'a tag');
      assert.deepEqual(await names('pro*'), ['web-frontend'], 'a tag glob');
      assert.deepEqual(await names('dev-b web'), ['dev-b', 'web-frontend']);
      assert.deepEqual(await names('dev-'), [], 'patterns match whole words, not prefixes');
      assert.deepEqual(await names('*'), ['dev-a', 'dev-b', 'web-frontend']);
    });

    it('says "No VMs match." when a pattern matches nothing; regex characters are literal', async () => {
      assert.equal(await ok(carol, 'ls nothing-here'), 'No VMs match.\n');
      for (const p of ["'dev.a'", "'[d]*'", "'(dev-a)'", "'dev-a|web'", "'^dev'", "'.*'", "'\\d'"]) {
        assert.deepEqual(await okJson(carol, `ls ${p}`), [], `pattern ${p}`);
      }
    });

    it('a pathological glob answers at once (it used to backtrack for minutes, freezing the server)', async () => {
      const long = 'a'.repeat(52);
      await ok(carol, `new --name ${long} --address 10.60.0.9 --tag ${'a'.repeat(64)}`);
      const evil = `'${'*a'.repeat(20)}*c'`;
      const started = Date.now();
      assert.deepEqual(await okJson(carol, `ls ${evil}`), []);
      assert.deepEqual((await okJson(carol, `ls '${'*a'.repeat(20)}*'`)).map((v: any) => v.name), [long]);
      assert.ok(Date.now() - started < 2000);
      await ok(carol, `rm ${long}`);
    });

    it('shows only the caller’s VMs', async () => {
      const mine = (await vms(alice)).map((v) => v.name);
      assert.ok(mine.includes('devbox'));
      assert.ok(!mine.includes('web-frontend'));
      assert.deepEqual(await okJson(carol, 'ls devbox'), []);
      assert.deepEqual(await okJson(bob, 'ls dev*'), []);
    });

    it('refuses unknown flags', async () => {
      await fails(carol, 'ls --all', 2, /unknown flag --all/);
      await failsJson(carol, 'ls --all', 2, /unknown flag --all/);
    });
  });

  describe('rm', () => {
    it('removes several VMs; their names and addresses become free', async () => {
      await ok(bob, 'new --name rm-one --address 10.70.0.1');
      await ok(bob, 'new --name rm-two --address 10.70.0.2');
      assert.equal(await ok(bob, 'rm rm-one rm-two'), 'Removed VM rm-one\nRemoved VM rm-two\n');
      assert.deepEqual(await okJson(bob, 'ls rm-*'), []);
      await ok(alice, 'new --name rm-one --address 10.70.0.2');
      await ok(alice, 'rm rm-one');
    });

    it('a typo removes nothing', async () => {
      await ok(bob, 'new --name keep-one --address 10.70.1.1');
      await ok(bob, 'new --name keep-two --address 10.70.1.2');
      await fails(bob, 'rm keep-one kep-two keep-two', 1, /VM "kep-two" not found/);
      assert.deepEqual((await okJson(bob, 'ls keep-*')).map((v: any) => v.name), ['keep-one', 'keep-two']);
    });

    it('another user’s VM is simply not found, and stays', async () => {
      const theirs = await fails(bob, 'rm devbox', 1, /VM "devbox" not found/);
      const missing = await fails(bob, 'rm nobox', 1, /VM "nobox" not found/);
      assert.equal(theirs.replace('devbox', 'X'), missing.replace('nobox', 'X'), 'the same answer as for a VM that does not exist');
      assert.ok(await vm(alice, 'devbox'));
    });

    it('--json lists what was removed; a repeated name is removed once', async () => {
      await ok(bob, 'new --name json-rm --address 10.70.2.1');
      assert.deepEqual(await okJson(bob, 'rm json-rm json-rm'), { removed: ['json-rm'] });
      await failsJson(bob, 'rm json-rm', 1, /^VM "json-rm" not found$/);
    });

    it('needs at least one VM and refuses unknown flags', async () => {
      await fails(bob, 'rm', 2, /missing argument VM/);
      await fails(bob, 'rm --force keep-one', 2, /unknown flag --force/);
      assert.ok(await vm(bob, 'keep-one'));
    });

    it('hostile names are simply not found', async () => {
      await fails(bob, `rm '${'z'.repeat(10_000)}'`, 1, /not found/);
      await fails(bob, "rm 'keep-one; rm keep-two'", 1, /not found/);
      await fails(bob, 'rm keep-one && rm keep-two', 2, /shell operator "&&"/);
      assert.equal((await okJson(bob, 'ls keep-*')).length, 2);
    });
  });

  describe('tag', () => {
    it('adds tags, keeps them sorted and unique', async () => {
      await ok(bob, 'new --name tagbox --address 10.80.0.1 --tag base');
      assert.equal(await ok(bob, 'tag tagbox zeta alpha zeta'), 'tagbox tags: alpha, base, zeta\n');
      const v = await okJson(bob, 'tag tagbox alpha');
      assert.deepEqual(v.tags, ['alpha', 'base', 'zeta'], 'adding an existing tag is harmless');
      assert.deepEqual(Object.keys(v).sort(), ['address', 'comment', 'created_at', 'name', 'tags']);
    });

    it('removes tags with -d or --delete', async () => {
      assert.deepEqual((await okJson(bob, 'tag -d tagbox zeta')).tags, ['alpha', 'base']);
      assert.deepEqual((await okJson(bob, 'tag --delete tagbox alpha nonexistent')).tags, ['base']);
      assert.equal(await ok(bob, 'tag -d tagbox base'), 'tagbox tags: (none)\n');
    });

    it('an invalid tag changes nothing', async () => {
      await ok(bob, 'tag tagbox good');
      await fails(bob, 'tag tagbox fine Bad', 1, /invalid tag "Bad"/);
      await fails(bob, `tag tagbox '${'t'.repeat(65)}'`, 1, /invalid tag/);
      await fails(bob, "tag tagbox 't\x07'", 1, /invalid tag/);
      assert.deepEqual((await vm(bob, 'tagbox')).tags, ['good']);
    });

    it('another user’s VM is not found and is untouched', async () => {
      await fails(bob, 'tag devbox hacked', 1, /VM "devbox" not found/);
      await fails(bob, 'tag -d devbox llm', 1, /VM "devbox" not found/);
      assert.deepEqual((await vm(alice, 'devbox')).tags, ['gpu', 'llm']);
    });

    it('needs a VM and a tag; refuses unknown flags', async () => {
      await fails(bob, 'tag', 2, /missing argument VM/);
      await fails(bob, 'tag tagbox', 2, /missing argument TAG/);
      await fails(bob, 'tag -x tagbox a', 2, /unknown flag -x/);
      await failsJson(bob, 'tag tagbox', 2, /missing argument TAG/);
    });
  });

  describe('rename', () => {
    it('renames a VM, keeping its address, tags and comment', async () => {
      await ok(bob, 'new --name oldname --address 10.90.0.1 --tag t --comment kept');
      assert.equal(await ok(bob, 'rename oldname newname'), 'Renamed VM oldname to newname\n');
      const v = await vm(bob, 'newname');
      assert.deepEqual([v.address, v.tags, v.comment], ['10.90.0.1', ['t'], 'kept']);
      assert.equal(await vm(bob, 'oldname'), undefined);
      assert.deepEqual(await okJson(bob, 'rename newname newname'), { old: 'newname', name: 'newname' }, 'renaming to itself is a no-op');
      assert.deepEqual(await okJson(bob, 'rename newname oldname'), { old: 'newname', name: 'oldname' });
    });

    it('refuses a name taken by anyone, and invalid names', async () => {
      await fails(bob, 'rename oldname devbox', 1, /VM name "devbox" is taken/);
      await fails(bob, 'rename oldname tagbox', 1, /VM name "tagbox" is taken/);
      await fails(bob, 'rename oldname Bad-Name', 1, /invalid VM name/);
      await fails(bob, `rename oldname '${'n'.repeat(53)}'`, 1, /invalid VM name/);
      await fails(bob, "rename oldname 'new name'", 1, /invalid VM name/);
      assert.ok(await vm(bob, 'oldname'));
    });

    it('another user’s VM is not found', async () => {
      await fails(bob, 'rename devbox stolen', 1, /VM "devbox" not found/);
      assert.ok(await vm(alice, 'devbox'));
      assert.equal(await vm(bob, 'stolen'), undefined);
    });

    it('needs exactly two names', async () => {
      await fails(bob, 'rename oldname', 2, /missing argument NEW/);
      await fails(bob, 'rename', 2, /missing argument OLD/);
      await fails(bob, 'rename a b c', 2, /unexpected argument "c"/);
      await fails(bob, 'rename --to x oldname y', 2, /unknown flag --to/);
    });
  });

  describe('comment', () => {
    it('sets a comment from the words that follow, and clears it with ""', async () => {
      await ok(bob, 'new --name notebox --address 10.91.0.1');
      assert.equal(await ok(bob, 'comment notebox Bob’s   scratch box'), 'Comment on notebox set\n');
      assert.equal((await vm(bob, 'notebox')).comment, 'Bob’s scratch box');
      assert.deepEqual(await okJson(bob, 'comment notebox "  spaced   inside  "'), { name: 'notebox', comment: 'spaced   inside' });
      assert.equal(await ok(bob, 'comment notebox ""'), 'Comment on notebox cleared\n');
      assert.equal((await vm(bob, 'notebox')).comment, '');
    });

    it('after --, words that look like flags are text', async () => {
      await ok(bob, 'comment notebox -- --not-a-flag -x --json');
      assert.equal((await vm(bob, 'notebox')).comment, '--not-a-flag -x --json');
    });

    it('keeps # and $ inside words literally', async () => {
      await ok(bob, 'comment notebox see issue#2 for $HOME');
      assert.equal((await vm(bob, 'notebox')).comment, 'see issue#2 for $HOME');
      await ok(bob, 'comment notebox kept # a trailing shell comment is dropped');
      assert.equal((await vm(bob, 'notebox')).comment, 'kept');
    });

    it('refuses control characters and over-long text, keeping the old comment', async () => {
      await ok(bob, 'comment notebox stable');
      await fails(bob, "comment notebox 'bell\x07'", 1, /control characters/);
      await fails(bob, "comment notebox 'esc\x1b[31mred'", 1, /control characters/);
      await fails(bob, "comment notebox 'line\nbreak'", 1, /control characters/);
      await fails(bob, `comment notebox '${'c'.repeat(501)}'`, 1, /at most 500/);
      assert.equal((await vm(bob, 'notebox')).comment, 'stable');
    });

    it('another user’s VM is not found', async () => {
      await fails(bob, 'comment devbox pwned', 1, /VM "devbox" not found/);
      assert.equal((await vm(alice, 'devbox')).comment, "Alice's box");
    });

    it('needs a VM and text', async () => {
      await fails(bob, 'comment', 2, /missing argument VM/);
      await fails(bob, 'comment notebox', 2, /missing argument TEXT/);
      await failsJson(bob, 'comment nobox x', 1, /VM "nobox" not found/);
    });
  });

  describe('the server log', () => {
    it('recorded no internal error for anything above', () => {
      assert.deepEqual(gh.logLines.filter((l) => l.startsWith('ERROR')), []);
    });
  });
});
