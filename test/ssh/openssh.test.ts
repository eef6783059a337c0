// The real OpenSSH client against gatehouse: what users actually run.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestGatehouse, type TestGatehouse } from '../helpers/gatehouse.js';
import { hasOpenSsh, newKey, runOpenSsh, signUp, type KeyPair } from '../helpers/ssh.js';

const skip = hasOpenSsh ? false : 'OpenSSH client (ssh) is not installed';

describe('OpenSSH client', { skip }, () => {
  let gh: TestGatehouse;
  let alice: KeyPair;
  before(async () => {
    gh = await startTestGatehouse();
    alice = await signUp(gh.sshPort, 'alice');
  });
  after(() => gh?.stop());

  it('ssh HOST whoami runs one command and exits 0', async () => {
    const r = await runOpenSsh(gh.sshPort, alice, [], ['whoami', '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).name, 'alice');
    assert.equal(r.stderr, '');
  });

  it('a failing command exits 1 with the error on stderr', async () => {
    const r = await runOpenSsh(gh.sshPort, alice, [], ['rm', 'nosuchvm']);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /^error: .*"nosuchvm" not found/);
  });

  it('arguments keep their quoting through ssh', async () => {
    const r = await runOpenSsh(gh.sshPort, alice, [], ['new', '--name', 'quoted', '--address', '127.0.0.9', '--comment', "'two words'", '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).comment, 'two words');
  });

  it('stdin is piped to the command (ssh-key add < key.pub)', async () => {
    const laptop = newKey('piped');
    const r = await runOpenSsh(gh.sshPort, alice, [], ['ssh-key', 'add', '--name', 'piped'], laptop.public + '\n');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Added SSH key piped \(SHA256:/);
    const who = await runOpenSsh(gh.sshPort, laptop, [], ['whoami', '--json']);
    assert.equal(JSON.parse(who.stdout).name, 'alice');
  });

  it('ssh -tt HOST: piped keystrokes run in the prompt, exit closes with status 0', async () => {
    const r = await runOpenSsh(gh.sshPort, alice, ['-tt'], [], 'whoami --json\nls --json\nexit\n');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /gatehouse/);
    assert.match(r.stdout, /"name": "alice"/);
    assert.match(r.stdout, /\r\n\[\r\n {2}\{/); // ls --json, pretty, CRLF under the PTY
    assert.match(r.stdout, /Goodbye!\r\n$/);
  });

  it('ssh -tt HOST: EOF after the keystrokes still runs them, then Goodbye!', async () => {
    const r = await runOpenSsh(gh.sshPort, alice, ['-tt'], [], 'whoami --json\n');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /"name": "alice"[\s\S]*Goodbye!/);
  });

  it('ssh -T HOST (a shell without PTY): no colors, no CR', async () => {
    const r = await runOpenSsh(gh.sshPort, alice, ['-T'], [], 'whoami\nexit\n');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /name +alice \(admin\)/);
    assert.doesNotMatch(r.stdout, /\x1b|\r/);
  });

  it('ssh -t HOST CMD: colors and CRLF under a PTY', async () => {
    const r = await runOpenSsh(gh.sshPort, alice, ['-tt'], ['whoami']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /\x1b\[1malice/);
    assert.match(r.stdout, /\r\n/);
  });

  it('a new key signs up over ssh -tt with typed-ahead answers, then runs a command', async () => {
    const carol = newKey('carol');
    const r = await runOpenSsh(gh.sshPort, carol, ['-tt'], [], 'carol\ncarol@example.com\nwhoami --json\nexit\n');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, ''), /Account carol created\.\r\nWelcome to gatehouse, carol/);
    const who = await runOpenSsh(gh.sshPort, carol, [], ['whoami', '--json']);
    assert.deepEqual(JSON.parse(who.stdout).email, 'carol@example.com');
  });

  it('an unregistered key on exec is told to register, exit 1', async () => {
    const r = await runOpenSsh(gh.sshPort, newKey(), [], ['whoami']);
    assert.equal(r.code, 1);
    assert.equal(r.stderr, `Please complete registration by running: ssh -p ${gh.sshPort} localhost\n`);
  });
});
