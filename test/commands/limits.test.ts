// Issue 11, limits: `admin limits set USER …` and `admin limits show [USER]` over real SSH: admins
// only, numbers validated, --json on success and failure, hostile input refused in one line.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { commandAsserts } from '../helpers/commands.js';
import { DATABASES } from '../helpers/databases.js';
import { startTestGatehouse, type TestGatehouse } from '../helpers/gatehouse.js';
import { signUp, type KeyPair } from '../helpers/ssh.js';

for (const database of DATABASES) describe(`admin limits (${database.name})`, () => {
  let gh: TestGatehouse;
  let root: KeyPair;
  let bob: KeyPair;
  const { sh, ok, okJson, fails, failsJson } = commandAsserts(() => gh.sshPort);

  before(async () => {
    gh = await startTestGatehouse({ ...(await database.env()), GATEHOUSE_RATE_LIMIT_RPM: '900', GATEHOUSE_RATE_LIMIT_CONCURRENT: '32', GATEHOUSE_KEY_RATE_LIMIT_RPM: '300' });
    root = await signUp(gh.sshPort, 'root'); // the first account is the admin
    bob = await signUp(gh.sshPort, 'bob');
  });
  after(() => gh.stop());

  describe('issue 11 limits: admin limits show and set', () => {
    it('issue 11 limits: show lists the installation defaults and every override', async () => {
      assert.deepEqual(await okJson(root, 'admin limits show'), { defaults: { rpm: 900, concurrent: 32, key_rpm: 300, key_concurrent: 128 }, overrides: [] });
      assert.match(await ok(root, 'admin limits show'), /900 requests\/min and 32 in flight per user; 300 requests\/min and 128 in flight per API key[\s\S]*No per-user overrides/);
      await ok(root, 'admin limits set bob --rpm 1200 --key-concurrent 4');
      const shown = await okJson(root, 'admin limits show');
      assert.equal(shown.overrides.length, 1);
      assert.deepEqual({ ...shown.overrides[0], updated_at: 'x' }, { user: 'bob', rpm: 1200, concurrent: null, key_rpm: null, key_concurrent: 4, updated_by: 'root', updated_at: 'x' });
      assert.match(await ok(root, 'admin limits show'), /USER +RPM +CONCURRENT +KEY RPM +KEY CONCURRENT +SET BY +UPDATED\nbob +1200 +- +- +4 +root /);
    });

    it('issue 11 limits: show USER gives effective limits, where each comes from, and current use', async () => {
      await ok(root, 'admin limits set bob --reset --concurrent 8');
      const one = await okJson(root, 'admin limits show bob');
      assert.deepEqual(one.limits, { rpm: 900, concurrent: 8, key_rpm: 300, key_concurrent: 128 });
      assert.deepEqual(one.source, { rpm: 'default', concurrent: 'override', key_rpm: 'default', key_concurrent: 'default' });
      assert.deepEqual(one.usage, { in_flight: 0, remaining_requests: 900, keys: [] });
      const text = await ok(root, 'admin limits show bob');
      assert.match(text, /in flight at once +8 +override \(default 32\)/);
      assert.match(text, /requests per minute +900 +default/);
    });

    it('issue 11 limits: set merges with earlier overrides, "default" drops one, --reset drops all', async () => {
      await ok(root, 'admin limits set bob --reset --rpm 50');
      const merged = await okJson(root, 'admin limits set bob --concurrent 3');
      assert.deepEqual(merged.limits, { rpm: 50, concurrent: 3, key_rpm: 300, key_concurrent: 128 });
      assert.deepEqual((await okJson(root, 'admin limits set bob --rpm default')).limits.rpm, 900);
      const out = await ok(root, 'admin limits set bob --reset');
      assert.match(out, /^Limits for bob changed; they apply from the next request\./);
      assert.deepEqual((await okJson(root, 'admin limits show')).overrides, []);
    });

    it('issue 11 limits: a non-admin is refused, naming the role needed', async () => {
      await fails(bob, 'admin limits show', 1, /"admin limits" is for admins only/);
      await fails(bob, 'admin limits set bob --rpm 100000', 1, /for admins only/);
      await failsJson(bob, 'admin limits set bob --rpm 5', 1, /for admins only/);
      assert.deepEqual((await okJson(root, 'admin limits show')).overrides, [], 'nothing changed');
    });

    it('issue 11 limits: malformed and hostile numbers are refused with one line', async () => {
      for (const bad of ['0', '-5', '1e3', '0x10', '5.5', 'abc', '99999999999999999999999', '1000001', ' ', '１２', 'NaN', 'Infinity']) {
        await fails(root, `admin limits set bob --rpm='${bad}'`, 1, /invalid --rpm .*: give a whole number from 1 to 1,000,000, or "default"/);
      }
      await fails(root, 'admin limits set bob --concurrent 100001', 1, /invalid --concurrent "100001": give a whole number from 1 to 100,000/);
      await fails(root, 'admin limits set bob --key-concurrent=-1', 1, /invalid --key-concurrent/);
      await failsJson(root, 'admin limits set bob --key-rpm 0', 1, /invalid --key-rpm "0"/);
      await fails(root, 'admin limits set bob --rpm -5', 2, /flag --rpm needs a value/);
      await fails(root, 'admin limits set bob --rpm 5 --rpm 6', 2, /given more than once/);
      await fails(root, `admin limits set bob --rpm ${'9'.repeat(30_000)}`, 1, /invalid --rpm "9{20}…"/);
      assert.deepEqual((await okJson(root, 'admin limits show')).overrides, [], 'nothing changed');
    });

    it('issue 11 limits: wrong verbs, missing and unknown users, stray flags', async () => {
      await fails(root, 'admin limits set bob', 2, /nothing to set: give --rpm, --concurrent/);
      await fails(root, 'admin limits set', 2, /missing argument USER/);
      await fails(root, 'admin limits', 2, /missing argument set\|show/);
      await fails(root, 'admin limits frob', 2, /"admin limits" subcommand "frob" not found, valid subcommands are: set, show/);
      await fails(root, 'admin limits show --rpm 5', 2, /flag --rpm belongs to "admin limits set"/);
      await fails(root, 'admin limits show bob extra', 2, /unexpected argument "extra"/);
      await fails(root, 'admin limits set nobody --rpm 5', 1, /user "nobody" not found/);
      await failsJson(root, 'admin limits show nobody', 1, /user "nobody" not found/);
      await fails(root, `admin limits show ${'x'.repeat(30_000)}`, 1, /user "x{64}…" not found/);
      const control = await sh(root, "admin limits show $'\\x1b[31mevil'");
      assert.doesNotMatch(control.stderr, /\x1b/);
      await fails(root, 'admin limits set bob --rpm 5 --bogus', 2, /unknown flag --bogus/);
    });

    it('issue 11 limits: --help describes both verbs', async () => {
      const help = await ok(root, 'admin limits --help');
      for (const word of ['set', 'show', '--rpm', '--concurrent', '--key-rpm', '--key-concurrent', '--reset']) assert.ok(help.includes(word), word);
      assert.ok((await okJson(root, 'admin limits --help')).command);
    });
  });
});
