import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DATABASES } from '../helpers/databases.js';
import { startTestGatehouse, type TestGatehouse } from '../helpers/gatehouse.js';
import { exec, newKey, openShell, signUp } from '../helpers/ssh.js';

for (const database of DATABASES) describe(`sign-up (${database.name})`, () => {
  describe('sign-up, open', () => {
    let gh: TestGatehouse;
    before(async () => (gh = await startTestGatehouse(await database.env())));
    after(() => gh.stop());

    it('an unknown key on exec is told how to register and exits 1', async () => {
      const r = await exec(gh.sshPort, newKey(), 'whoami');
      assert.equal(r.code, 1);
      assert.equal(r.stderr, `Please complete registration by running: ssh -p ${gh.sshPort} localhost\n`);
      assert.equal(r.stdout, '');
    });

    it('an unknown key on an interactive session is asked for a name and email, then lands in the prompt; the first account is admin', async () => {
      const key = newKey();
      const term = await openShell(gh.sshPort, key);
      await term.waitFor(/Choose a user name:/);
      term.type('Bad Name\r');
      await term.waitFor(/Email/);
      term.type('\r');
      await term.waitFor(/invalid user name "Bad Name"/);
      await term.waitFor(/Choose a user name:[\s\S]*Choose a user name:/);
      term.type('alice\r');
      await term.waitFor(/Email[\s\S]*Email/);
      term.type('alice@example.com\r');
      const screen = await term.waitFor(/gatehouse ▶/);
      assert.match(screen, /Account alice created \(admin/);
      term.close();
      const who = await exec(gh.sshPort, key, 'whoami --json');
      assert.equal(who.code, 0);
      const me = JSON.parse(who.stdout);
      assert.equal(me.name, 'alice');
      assert.equal(me.email, 'alice@example.com');
      assert.equal(me.admin, true);
    });

    it('the second account is not admin, and a taken name is refused', async () => {
      const key = await signUp(gh.sshPort, 'bob');
      const me = JSON.parse((await exec(gh.sshPort, key, 'whoami --json')).stdout);
      assert.equal(me.admin, false);
      const term = await openShell(gh.sshPort, newKey());
      await term.waitFor(/Choose a user name:/);
      term.type('bob\r');
      await term.waitFor(/Email/);
      term.type('\r');
      await term.waitFor(/user name "bob" is taken/);
      term.close();
    });
  });

  describe('sign-up, closed', () => {
    let gh: TestGatehouse;
    before(async () => (gh = await startTestGatehouse({ ...(await database.env()), GATEHOUSE_SIGNUP: 'closed' })));
    after(() => gh.stop());

    it('an unknown key is refused with a clear message, on exec and interactively', async () => {
      const r = await exec(gh.sshPort, newKey(), 'whoami');
      assert.equal(r.code, 1);
      assert.match(r.stderr, /sign-up is closed/);
      const term = await openShell(gh.sshPort, newKey());
      const screen = await term.waitFor(/sign-up is closed/);
      assert.doesNotMatch(screen, /Choose a user name/);
      await term.waitClosed();
      assert.equal(term.exitCode, 1);
    });
  });
});
