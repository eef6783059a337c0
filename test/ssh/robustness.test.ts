// The SSH server under load, against clients that misbehave, and against attempts to log in
// without proving possession of a registered key.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import ssh2 from 'ssh2';
import { generateEd25519 } from '../../src/ssh/hostKeys.js';
import { startTestGatehouse, tempDir, type TestGatehouse } from '../helpers/gatehouse.js';
import { connect, exec, newKey, openShell, signUp, type KeyPair } from '../helpers/ssh.js';
import { within } from './limitsHelpers.js';

/** Runs a command and resolves when its channel closes; `opened` acts on the open channel (e.g. stops the server). */
function execUntilClosed(client: ssh2.Client, command: string, opened: (stream: ssh2.ClientChannel) => void): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    client.exec(command, (err, stream) => {
      if (err) return reject(err);
      let stderr = '';
      let code: number | null = null;
      stream.stderr.on('data', (d: Buffer) => (stderr += d));
      stream.on('exit', (c: number | null) => (code = c));
      stream.on('close', () => resolve({ code, stderr }));
      stream.on('data', () => {});
      opened(stream);
    });
  });
}

const DEADLINE_MS = 10_000;

/** Connects with the given ssh2 options; resolves with how it ended: 'ready' or the error message. */
function tryLogin(port: number, options: ssh2.ConnectConfig): Promise<string> {
  return new Promise((resolve) => {
    const client = new ssh2.Client();
    const timer = setTimeout(() => resolve('deadline'), DEADLINE_MS);
    const done = (result: string) => {
      clearTimeout(timer);
      client.end();
      resolve(result);
    };
    client.on('ready', () => done('ready'));
    client.on('error', (err) => done(err.message));
    client.on('keyboard-interactive', (_name, _instr, _lang, prompts, finish) => finish(prompts.map(() => 'secret')));
    client.connect({ host: '127.0.0.1', port, username: 'alice', readyTimeout: DEADLINE_MS, ...options });
  });
}

/** An agent that offers `shown` but cannot sign with it: it signs with `signer` (or fails). */
class ImpostorAgent extends ssh2.BaseAgent {
  constructor(
    private readonly shown: KeyPair,
    private readonly signer?: KeyPair,
  ) {
    super();
  }
  override getIdentities(cb: (err: Error | undefined, keys?: ssh2.ParsedKey[]) => void): void {
    cb(undefined, [ssh2.utils.parseKey(this.shown.public) as ssh2.ParsedKey]);
  }
  override sign(_key: ssh2.ParsedKey, data: Buffer, options: unknown, cb?: (err: Error | undefined, signature?: Buffer) => void): void {
    const callback = (typeof options === 'function' ? options : cb) as (err: Error | undefined, signature?: Buffer) => void;
    if (!this.signer) return callback(new Error('no private key'));
    callback(undefined, (ssh2.utils.parseKey(this.signer.private) as ssh2.ParsedKey).sign(data));
  }
}

/** A raw TCP client: sends bytes, then closes; resolves when the server side is gone too. */
function rawTcp(port: number, send: (socket: net.Socket) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => send(socket));
    const timer = setTimeout(() => reject(new Error('raw socket deadline')), DEADLINE_MS);
    socket.on('error', () => {});
    socket.resume(); // read (and drop) what the server sends, so its FIN is seen
    socket.on('close', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

async function assertHealthy(gh: TestGatehouse, key: KeyPair): Promise<void> {
  const r = await exec(gh.sshPort, key, 'whoami --json');
  assert.equal(r.code, 0, r.stderr);
  assert.ok(JSON.parse(r.stdout).name);
  assert.deepEqual(gh.logLines.filter((l) => l.startsWith('ERROR')), []);
}

describe('SSH robustness', () => {
  let gh: TestGatehouse;
  let alice: KeyPair;
  const others: { name: string; key: KeyPair }[] = [];
  before(async () => {
    gh = await startTestGatehouse();
    alice = await signUp(gh.sshPort, 'alice');
    for (const name of ['bob', 'carol', 'dave', 'erin']) others.push({ name, key: await signUp(gh.sshPort, name) });
  });
  after(() => gh.stop());

  it('50 concurrent exec sessions, of one user and of several, all succeed', async () => {
    const jobs = Array.from({ length: 50 }, (_, i) => (i % 2 === 0 ? { name: 'alice', key: alice } : others[i % others.length]));
    const results = await Promise.all(jobs.map((j) => exec(gh.sshPort, j.key, 'whoami --json')));
    results.forEach((r, i) => {
      assert.equal(r.code, 0, r.stderr);
      assert.equal(JSON.parse(r.stdout).name, jobs[i].name);
    });
    await assertHealthy(gh, alice);
  });

  it('many sessions, one after another, over one connection (as with ControlMaster)', async () => {
    const client = await connect(gh.sshPort, alice);
    try {
      for (let i = 0; i < 15; i++) {
        const out = await new Promise<string>((resolve, reject) => {
          client.exec('whoami --json', (err, stream) => {
            if (err) return reject(err);
            let text = '';
            stream.on('data', (d: Buffer) => (text += d));
            stream.on('close', () => resolve(text));
            stream.end();
          });
        });
        assert.equal(JSON.parse(out).name, 'alice', `session ${i + 1}`);
      }
      // The limit is on sessions open at once: ten open shells, and an eleventh session is refused.
      const shells = await Promise.all(
        Array.from({ length: 10 }, () => new Promise<ssh2.ClientChannel>((resolve, reject) => client.shell((err, ch) => (err ? reject(err) : resolve(ch))))),
      );
      await assert.rejects(new Promise((resolve, reject) => client.exec('whoami', (err, ch) => (err ? reject(err) : resolve(ch)))), /open failure/i);
      for (const ch of shells) ch.end();
    } finally {
      client.end();
    }
  });

  it('a client that disconnects mid-command leaves the server healthy', async () => {
    const client = await connect(gh.sshPort, alice);
    await new Promise<void>((resolve, reject) => {
      // ssh-key add waits for stdin; the client vanishes instead of sending it.
      client.exec('ssh-key add --name never', (err) => (err ? reject(err) : resolve()));
    });
    const gone = new Promise<void>((resolve) => client.once('close', () => resolve()));
    (client as unknown as { _sock: net.Socket })._sock.destroy();
    await gone;
    await assertHealthy(gh, alice);
    const keys = JSON.parse((await exec(gh.sshPort, alice, 'ssh-key list --json')).stdout) as { name: string }[];
    assert.ok(!keys.some((k) => k.name === 'never'));
  });

  it('a client that disconnects mid-sign-up leaves no account and can sign up later', async () => {
    const key = newKey();
    const term = await openShell(gh.sshPort, key);
    await term.waitFor(/Choose a user name:/);
    term.type('half');
    await term.waitFor(/Choose a user name: half/);
    term.close();
    await term.waitClosed();
    const r = await exec(gh.sshPort, key, 'whoami');
    assert.match(r.stderr, /Please complete registration/);
    const again = await openShell(gh.sshPort, key);
    await again.waitFor(/Choose a user name:/);
    again.close();
    await assertHealthy(gh, alice);
  });

  it('garbage, a bare close and a broken handshake on the SSH port leave the server healthy', async () => {
    await rawTcp(gh.sshPort, (s) => s.end('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
    await rawTcp(gh.sshPort, (s) => s.end());
    await rawTcp(gh.sshPort, (s) => s.end('SSH-2.0-evil\r\n' + '\x00\x00\x00\x0c\x0a\x14'.padEnd(64, '\xff')));
    await rawTcp(gh.sshPort, (s) => {
      s.write('SSH-2.0-halfway\r\n');
      s.once('data', () => s.destroy()); // leave during key exchange
    });
    await assertHealthy(gh, alice);
  });

  it('password and keyboard-interactive authentication are refused; only publickey is offered', async () => {
    assert.match(await tryLogin(gh.sshPort, { password: 'hunter2' }), /All configured authentication methods failed/);
    assert.match(await tryLogin(gh.sshPort, { tryKeyboard: true }), /All configured authentication methods failed/);
    let offered: string[] | null = null;
    const result = await tryLogin(gh.sshPort, {
      authHandler: (methodsLeft, _partial, next) => {
        if (methodsLeft === null) return next({ type: 'password', username: 'alice', password: 'x' });
        offered = methodsLeft;
        return next(false as never);
      },
    });
    assert.notEqual(result, 'ready');
    assert.deepEqual(offered, ['publickey']);
  });

  it('offering a registered public key without its private key never authenticates', async () => {
    // Someone knows alice's public key (it is public) but signs with their own key, or cannot sign.
    assert.match(await tryLogin(gh.sshPort, { agent: new ImpostorAgent(alice, newKey()) }), /All configured authentication methods failed/);
    assert.notEqual(await tryLogin(gh.sshPort, { agent: new ImpostorAgent(alice) }), 'ready');
    // Sanity: the same agent path works for the real key holder.
    assert.equal(await tryLogin(gh.sshPort, { agent: new ImpostorAgent(alice, alice) }), 'ready');
  });
});

describe('host key', () => {
  it('ssh2 issue #1390: a generated ed25519 key always parses back (ssh2 drops leading zero bytes)', () => {
    // About 1 raw pair in 256 is malformed, so 2000 draws would meet several.
    for (let i = 0; i < 2000; i++) {
      const pair = generateEd25519('t');
      assert.ok(!(ssh2.utils.parseKey(pair.private) instanceof Error), pair.private);
      assert.ok(!(ssh2.utils.parseKey(pair.public) instanceof Error), pair.public);
    }
  });

  it('is generated once in the data dir, mode 0600, and reused on restart', async () => {
    const dataDir = tempDir();
    const first = await startTestGatehouse({}, dataDir);
    await first.stop();
    const file = path.join(dataDir, 'ssh_host_ed25519_key');
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
    const before = fs.readFileSync(file, 'utf8');
    const second = await startTestGatehouse({}, dataDir);
    await second.stop();
    assert.equal(fs.readFileSync(file, 'utf8'), before);
  });
});

describe('SSH server stop', () => {
  it('tells an open interactive session goodbye and closes it', async () => {
    const gh = await startTestGatehouse();
    const alice = await signUp(gh.sshPort, 'alice');
    const term = await openShell(gh.sshPort, alice);
    await term.waitForPrompt();
    const stopped = gh.stop();
    await term.waitClosed();
    assert.match(term.screen(), /gatehouse ▶\s*\ngatehouse is shutting down; goodbye\.$/);
    await stopped;
    assert.deepEqual(gh.logLines.filter((l) => l.startsWith('ERROR')), []);
  });

  it('tells an exec session waiting on stdin goodbye with a non-zero status', async () => {
    const gh = await startTestGatehouse();
    const alice = await signUp(gh.sshPort, 'alice');
    const client = await connect(gh.sshPort, alice);
    const result = await execUntilClosed(client, 'ssh-key add', () => void gh.stop());
    client.end();
    assert.equal(result.code, 1);
    assert.match(result.stderr, /gatehouse is shutting down/);
  });

  it('an exec command waiting for stdin at shutdown is cancelled, not run on the input cut short; nothing errors', async () => {
    const dataDir = tempDir();
    const gh = await startTestGatehouse({}, dataDir);
    const alice = await signUp(gh.sshPort, 'alice');
    const client = await connect(gh.sshPort, alice);
    let stopped: Promise<void> | undefined;
    const result = await execUntilClosed(client, 'ssh-key add --name cut-short', (stream) => {
      stream.write(newKey().public + '\n'); // a whole key, but no EOF: the command still waits
      stopped = gh.stop();
    });
    client.end();
    await stopped;
    assert.equal(result.code, 1);
    assert.match(result.stderr, /gatehouse is shutting down/);
    assert.deepEqual(gh.logLines.filter((l) => l.startsWith('ERROR')), []);
    // The client was told the command failed: it must not have added the key anyway.
    const again = await startTestGatehouse({}, dataDir);
    try {
      const keys = JSON.parse((await exec(again.sshPort, alice, 'ssh-key list --json')).stdout) as { name: string }[];
      assert.ok(!keys.some((k) => k.name === 'cut-short'), JSON.stringify(keys));
    } finally {
      await again.stop();
    }
  });

  it('stop waits for a running command before it closes the database', async () => {
    // An upstream that holds the probe of "integrations test" until the test lets it answer.
    const held: http.ServerResponse[] = [];
    let arrived!: () => void;
    const probed = new Promise<void>((resolve) => (arrived = resolve));
    const upstream = http.createServer((_req, res) => {
      held.push(res);
      arrived();
    });
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    const dataDir = tempDir();
    const gh = await startTestGatehouse({ GATEHOUSE_ANTHROPIC_UPSTREAM: `http://127.0.0.1:${(upstream.address() as net.AddressInfo).port}` }, dataDir);
    const alice = await signUp(gh.sshPort, 'alice');
    try {
      const added = await exec(gh.sshPort, alice, 'integrations add llm --name held --anthropic=byok --anthropic-key=-', { stdin: 'sk-ant-held-0123456789\n' });
      assert.equal(added.code, 0, added.stderr);
      const term = await openShell(gh.sshPort, alice);
      await term.waitForPrompt();
      term.type('integrations test held\r');
      await within(probed, 'the probe reaching upstream');
      const stopped = gh.stop();
      await term.waitClosed(); // the user is told goodbye while the command still runs
      held[0].writeHead(200, { 'content-type': 'application/json' }).end('{"data":[]}');
      await stopped;
      assert.deepEqual(gh.logLines.filter((l) => l.startsWith('ERROR')), []);
    } finally {
      upstream.closeAllConnections();
      upstream.close();
    }
    // The command's last step, saving its line to history, happened before the database closed.
    const again = await startTestGatehouse({}, dataDir);
    try {
      const term = await openShell(again.sshPort, alice);
      await term.waitForPrompt();
      term.type('\x1b[A');
      await term.waitFor(() => term.currentLine() === 'gatehouse ▶ integrations test held');
      term.close();
    } finally {
      await again.stop();
    }
  });

  it('a client that disconnects with a half-typed command on the prompt: it never runs', async () => {
    const dataDir = tempDir();
    const gh = await startTestGatehouse({}, dataDir);
    const alice = await signUp(gh.sshPort, 'alice');
    const term = await openShell(gh.sshPort, alice);
    await term.waitForPrompt();
    term.type('new --name cut-off --address 127.0.0.9');
    await term.waitFor(() => term.currentLine() === 'gatehouse ▶ new --name cut-off --address 127.0.0.9');
    term.close();
    await term.waitClosed();
    await gh.stop(); // returns once the session's work is done, whatever it was
    assert.deepEqual(gh.logLines.filter((l) => l.startsWith('ERROR')), []);
    const again = await startTestGatehouse({}, dataDir);
    try {
      assert.deepEqual(JSON.parse((await exec(again.sshPort, alice, 'ls --json')).stdout), []);
    } finally {
      await again.stop();
    }
  });
});
