// Issue 11, one error boundary per door: every refusal in the shell is rendered by Output.failure,
// and under --json it carries the stable code from src/errors.ts next to the message.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestGatehouse, type TestGatehouse } from '../helpers/gatehouse.js';
import { exec, openShell, signUp, type KeyPair } from '../helpers/ssh.js';

const HINT = 'run "integrations list" to see yours';

describe('issue 11: shell errors carry their stable code under --json', () => {
  let gh: TestGatehouse;
  let alice: KeyPair;
  before(async () => {
    gh = await startTestGatehouse();
    alice = await signUp(gh.sshPort, 'alice');
  });
  after(() => gh.stop());

  it('issue 11: exec, --json: {"error", "code"} on one line, exit status from the code table', async () => {
    const r = await exec(gh.sshPort, alice, 'integrations remove x --json');
    assert.equal(r.code, 1);
    assert.equal(r.stderr, '');
    assert.deepEqual(JSON.parse(r.stdout), { error: 'integration "x" not found', code: 'not_found', hint: HINT });
    const usage = await exec(gh.sshPort, alice, 'rm --json');
    assert.equal(usage.code, 2);
    assert.equal(JSON.parse(usage.stdout).code, 'usage');
    const forbidden = await exec(gh.sshPort, await signUp(gh.sshPort, 'bob'), 'admin users --json');
    assert.equal(JSON.parse(forbidden.stdout).code, 'forbidden');
  });

  it('issue 11: without --json the same refusal is text on stderr, without the code', async () => {
    const r = await exec(gh.sshPort, alice, 'integrations remove x');
    assert.equal(r.stdout, '');
    assert.equal(r.stderr, `error: integration "x" not found\n${HINT}\n`);
  });

  it('issue 11: in the prompt, --json errors are pretty and carry the code too', async () => {
    const term = await openShell(gh.sshPort, alice);
    try {
      await term.waitForPrompt();
      const out = await term.run('integrations remove x --json\r');
      assert.deepEqual(JSON.parse(out.replace(/^.*\n/, '')), { error: 'integration "x" not found', code: 'not_found', hint: HINT });
    } finally {
      term.close();
    }
  });
});
