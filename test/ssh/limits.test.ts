// Issue 11, "Limits a shared service needs", SSH: sessions per user, connections not yet logged in
// per address, and the handshake deadline (slowed failed logins: authLimits.test.ts). Each limit
// refuses the hostile client while another address (127.0.0.x) still logs in and runs `whoami`.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import ssh2 from 'ssh2';
import { startTestGatehouse, type TestGatehouse } from '../helpers/gatehouse.js';
import { exec, hasOpenSsh, newKey, openShell, runOpenSsh, signUp, type KeyPair } from '../helpers/ssh.js';
import { ScriptedTerminal } from '../helpers/terminal.js';
import { execFrom, login, rawConnect, run, within } from './limitsHelpers.js';

describe('issue 11: SSH sessions per user', () => {
  let gh: TestGatehouse;
  let alice: KeyPair;
  let bob: KeyPair;
  before(async () => {
    gh = await startTestGatehouse({ GATEHOUSE_SSH_MAX_SESSIONS_PER_USER: '3' });
    alice = await signUp(gh.sshPort, 'alice');
    bob = await signUp(gh.sshPort, 'bob');
  });
  after(() => gh.stop());

  it('a session past the limit, over any connection, fails with a readable error; another user is untouched', async () => {
    const shells: ScriptedTerminal[] = [];
    for (let i = 0; i < 3; i++) {
      shells.push(await openShell(gh.sshPort, alice)); // three connections, one shell each
      await shells[i].waitForPrompt();
    }
    const refused = await exec(gh.sshPort, alice, 'whoami');
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /^error: too many sessions open at once \(at most 3 per user\)\nclose a session/);
    const json = await exec(gh.sshPort, alice, 'whoami --json');
    assert.equal(json.code, 1);
    assert.equal(JSON.parse(json.stdout).code, 'rate_limited');
    const shell = await openShell(gh.sshPort, alice);
    await shell.waitFor(/too many sessions open at once/);
    await shell.waitClosed();
    if (hasOpenSsh) {
      const r = await runOpenSsh(gh.sshPort, alice, [], ['whoami']);
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, /too many sessions open at once/);
    }
    const other = await exec(gh.sshPort, bob, 'whoami --json');
    assert.equal(other.code, 0, other.stderr);
    assert.equal(JSON.parse(other.stdout).name, 'bob');
    // Closing one gives the slot back.
    shells[0].close();
    await shells[0].waitClosed();
    const again = await exec(gh.sshPort, alice, 'whoami --json');
    assert.equal(again.code, 0, again.stderr);
    for (const s of shells.slice(1)) s.close();
  });
});

describe('issue 11: SSH connections not yet logged in, per address', () => {
  let gh: TestGatehouse;
  let alice: KeyPair;
  before(async () => {
    gh = await startTestGatehouse({ GATEHOUSE_SSH_MAX_UNAUTHENTICATED_PER_ADDRESS: '3' });
    alice = await signUp(gh.sshPort, 'alice');
  });
  after(() => gh.stop());

  it('past the limit a connection is closed at once, while another address logs in and runs whoami', async () => {
    const idle = await Promise.all([1, 2, 3].map(() => rawConnect(gh.sshPort, '127.0.0.3')));
    for (const c of idle) assert.match(await within(c.firstData, 'server identification'), /^SSH-2\.0-gatehouse\r\n/);
    const excess = await rawConnect(gh.sshPort, '127.0.0.3');
    await within(excess.closed, 'the excess connection closed');
    assert.equal(excess.received(), '', 'closed before the server said anything');
    const started = performance.now();
    const r = await execFrom(gh.sshPort, alice, '127.0.0.4', 'whoami --json');
    assert.equal(r.code, 0, r.stderr);
    assert.ok(performance.now() - started < 2000, `whoami took ${performance.now() - started} ms`);
    // Logged-in connections do not count: three held from one address, and a fourth still logs in.
    const held = [await login(gh.sshPort, alice, '127.0.0.5'), await login(gh.sshPort, alice, '127.0.0.5'), await login(gh.sshPort, alice, '127.0.0.5')];
    assert.equal((await execFrom(gh.sshPort, alice, '127.0.0.5', 'whoami')).code, 0);
    for (const c of held) c.end();
    // A closed idle connection frees its place.
    idle[0].socket.end();
    await within(idle[0].closed, 'idle connection closed');
    const next = await rawConnect(gh.sshPort, '127.0.0.3');
    assert.match(await within(next.firstData, 'server identification'), /^SSH-2\.0-gatehouse/);
    for (const c of [...idle, next]) c.socket.destroy();
  });

  it('a stranger (any key that signs, no account) keeps counting against its address until it signs up', async () => {
    const strangers = [await login(gh.sshPort, newKey('s1'), '127.0.0.6'), await login(gh.sshPort, newKey('s2'), '127.0.0.6'), await login(gh.sshPort, newKey('s3'), '127.0.0.6')];
    const excess = await rawConnect(gh.sshPort, '127.0.0.6');
    await within(excess.closed, 'a fourth connection from the strangers\' address is closed');
    assert.equal((await execFrom(gh.sshPort, alice, '127.0.0.7', 'whoami')).code, 0, 'another address is served');
    for (const c of strangers) c.end();
    // Signing up on the connection makes it a logged-in one: it no longer counts.
    const client = await login(gh.sshPort, newKey('carol'), '127.0.0.8');
    const term = await new Promise<ScriptedTerminal>((resolve, reject) =>
      client.shell({ cols: 100, rows: 30, term: 'xterm-256color' }, (err, stream) => (err ? reject(err) : resolve(new ScriptedTerminal(client, stream, { cols: 100, rows: 30 })))),
    );
    await term.waitFor(/Choose a user name:/);
    term.type('carol\r');
    await term.waitFor(/Email/);
    term.type('\r');
    await term.waitFor(/gatehouse ▶/);
    const more = await Promise.all([1, 2, 3].map(() => rawConnect(gh.sshPort, '127.0.0.8')));
    for (const c of more) assert.match(await within(c.firstData, 'server identification'), /^SSH-2\.0-gatehouse/);
    for (const c of more) c.socket.destroy();
    term.close();
  });
});

describe('issue 11: SSH handshake deadline', () => {
  let gh: TestGatehouse;
  let alice: KeyPair;
  before(async () => {
    gh = await startTestGatehouse({ GATEHOUSE_SSH_HANDSHAKE_TIMEOUT_MS: '400' });
    alice = await signUp(gh.sshPort, 'alice');
  });
  after(() => gh.stop());

  it('a client that sends nothing, half an identification or only its identification is closed after the timeout; a logged-in one is not', async () => {
    const loggedIn = await login(gh.sshPort, alice, '127.0.0.8');
    const started = performance.now();
    const silent = await rawConnect(gh.sshPort, '127.0.0.9');
    const half = await rawConnect(gh.sshPort, '127.0.0.9');
    half.socket.write('SSH-2.0-sl');
    const banner = await rawConnect(gh.sshPort, '127.0.0.9');
    banner.socket.write('SSH-2.0-slow\r\n');
    await within(Promise.all([silent.closed, half.closed, banner.closed]), 'slow clients closed', 5000);
    assert.ok(performance.now() - started >= 350, 'not before the timeout');
    // The logged-in connection is older than the deadline and still serves.
    const r = await run(loggedIn, 'whoami --json');
    assert.equal(r.code, 0, r.stderr);
    loggedIn.end();
  });

  it('a client that completes the key exchange but never authenticates is closed', async () => {
    const ended = await within(
      new Promise<string>((resolve) => {
        const client = new ssh2.Client();
        client.on('error', (err) => resolve(err.message));
        client.on('close', () => resolve('closed'));
        client.on('ready', () => resolve('ready'));
        client.connect({ host: '127.0.0.1', port: gh.sshPort, localAddress: '127.0.0.10', username: 'x', readyTimeout: 5000, authHandler: () => {} });
      }),
      'closed by the server',
      5000,
    );
    assert.notEqual(ended, 'ready');
    assert.equal((await execFrom(gh.sshPort, alice, '127.0.0.11', 'whoami')).code, 0);
  });
});
