// The operator CLI as an operator runs it: `node bin/gatehouse.js …` in a child process.
import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { DATABASES, type TestDatabase } from '../helpers/databases.js';
import { tempDir } from '../helpers/gatehouse.js';
import { exec, newKey, openShell } from '../helpers/ssh.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const BIN = path.join(ROOT, 'bin', 'gatehouse.js');
const DEADLINE_MS = 10_000;
const STACK = /\n\s+at \S+/;

/** The environment without the test runner's own GATEHOUSE_* settings. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('GATEHOUSE_')));
  return { ...env, ...extra };
}

function start(args: string[], env: Record<string, string> = {}): ChildProcessWithoutNullStreams {
  return spawn(process.execPath, [BIN, ...args], { cwd: tempDir('gatehouse-cwd-'), env: cleanEnv(env) });
}

interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

function collect(child: ChildProcessWithoutNullStreams): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`gatehouse ${child.spawnargs.slice(2).join(' ')}: deadline; stdout: ${stdout}; stderr: ${stderr}`));
    }, DEADLINE_MS);
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

function cli(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  const child = start(args, env);
  child.stdin.end();
  return collect(child);
}

/** Waits until the child's stdout matches; returns the match. */
function waitForOutput(child: ChildProcessWithoutNullStreams, pattern: RegExp): Promise<RegExpMatchArray> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`deadline waiting for ${pattern}; stdout: ${seen}`)), DEADLINE_MS);
    const onData = (d: Buffer) => {
      seen += d;
      const m = pattern.exec(seen);
      if (m) {
        clearTimeout(timer);
        child.stdout.off('data', onData);
        resolve(m);
      }
    };
    child.stdout.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`exited ${code} before ${pattern}; stdout: ${seen}`));
    });
  });
}

function assertCleanError(r: CliResult, pattern: RegExp): void {
  assert.notEqual(r.code, 0, `expected failure; stdout: ${r.stdout}`);
  assert.match(r.stderr, pattern);
  assert.doesNotMatch(r.stderr, STACK, 'no stack trace for an operator mistake');
}

function writeKeyFile(dir: string, name: string): { file: string; key: ReturnType<typeof newKey> } {
  const key = newKey(`${name}@laptop`);
  const file = path.join(dir, `${name}.pub`);
  fs.writeFileSync(file, key.public + '\n');
  return { file, key };
}

/** Where `serve` and `user add/list` keep their data: the data dir, and the database when it is not SQLite. */
async function databaseFlags(database: TestDatabase, dataDir: string): Promise<string[]> {
  const url = (await database.env()).GATEHOUSE_DATABASE_URL;
  return ['--data-dir', dataDir, ...(url ? ['--database-url', url] : [])];
}

describe('gatehouse --help', () => {
  it('without a command, and with --help, prints the commands', async () => {
    for (const args of [[], ['--help']]) {
      const r = await cli(args);
      assert.equal(r.code, 0);
      assert.match(r.stdout, /usage: gatehouse <command>[\s\S]*serve[\s\S]*user add NAME[\s\S]*user list/);
    }
  });

  it('serve --help lists every setting with its flag, variable and default', async () => {
    const r = await cli(['serve', '--help']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /usage: gatehouse serve/);
    for (const [flag, env] of [['ssh-listen', 'GATEHOUSE_SSH_LISTEN'], ['data-dir', 'GATEHOUSE_DATA_DIR'], ['signup', 'GATEHOUSE_SIGNUP'], ['vm-pool', 'GATEHOUSE_VM_POOL']]) {
      assert.match(r.stdout, new RegExp(`--${flag} +${env} `));
    }
  });

  it('user add --help and user list --help print their usage', async () => {
    const add = await cli(['user', 'add', '--help']);
    assert.equal(add.code, 0);
    assert.match(add.stdout, /usage: gatehouse user add NAME \(--key-file F \| --key "ssh-ed25519 …"\) \[--email E\] \[--admin\]/);
    const list = await cli(['user', 'list', '--help']);
    assert.equal(list.code, 0);
    assert.match(list.stdout, /usage: gatehouse user list \[--json\]/);
  });

  it('an unknown command or subcommand is an error that says what exists', async () => {
    assertCleanError(await cli(['frob']), /gatehouse: error: command not found: "frob"/);
    assertCleanError(await cli(['user', 'frob']), /"user" subcommand "frob" not found, valid subcommands are: add, list/);
    assertCleanError(await cli(['user', 'list', '--frob']), /gatehouse: error: .*--frob/);
  });
});

for (const database of DATABASES) describe(`gatehouse user add / user list (${database.name})`, () => {
  const dir = tempDir('gatehouse-cli-');
  const dataDir = path.join(dir, 'data');
  let where: string[];
  before(async () => (where = await databaseFlags(database, dataDir)));
  const alice = writeKeyFile(dir, 'alice');
  const bob = newKey('bob@laptop');
  const carol = writeKeyFile(dir, 'carol');
  const add = (...args: string[]) => cli(['user', 'add', ...args, ...where]);

  it('adds users from a key file or a key argument; the first is admin', async () => {
    const a = await add('alice', '--key-file', alice.file, '--email', 'alice@example.com');
    assert.equal(a.code, 0, a.stderr);
    assert.equal(a.stdout, 'Added user alice (admin)\n');
    const b = await add('bob', '--key', bob.public);
    assert.equal(b.code, 0, b.stderr);
    assert.equal(b.stdout, 'Added user bob\n');
    const c = await add('carol', '--key-file', carol.file, '--admin');
    assert.equal(c.code, 0, c.stderr);
    assert.equal(c.stdout, 'Added user carol (admin)\n');
  });

  it('user list prints aligned columns, and --json one array', async () => {
    const text = await cli(['user', 'list', ...where]);
    assert.equal(text.code, 0, text.stderr);
    const lines = text.stdout.trimEnd().split('\n');
    const rows = lines.map((l) => l.split(/ {2,}/));
    assert.deepEqual(rows[0], ['NAME', 'EMAIL', 'ADMIN', 'KEYS', 'VMS', 'CREATED']);
    assert.deepEqual(rows[1].slice(0, 5), ['alice', 'alice@example.com', 'yes', '1', '0']);
    assert.deepEqual(rows[2].slice(0, 5), ['bob', '-', 'no', '1', '0']);
    assert.deepEqual(rows[3].slice(0, 5), ['carol', '-', 'yes', '1', '0']);
    assert.match(rows[1][5], /^\d{4}-\d\d-\d\d$/);
    // Aligned: every column starts where its header does.
    const starts = (line: string) => [...line.matchAll(/(?:^| {2,})(\S)/g)].map((m) => m.index! + m[0].length - 1);
    for (const line of lines.slice(1)) assert.deepEqual(starts(line), starts(lines[0]), line);
    const json = await cli(['user', 'list', '--json', ...where]);
    assert.equal(json.code, 0);
    assert.equal(json.stdout.split('\n').length, 2, 'one line');
    const users = JSON.parse(json.stdout) as { name: string; email: string; admin: boolean; keys: number; vms: number }[];
    assert.deepEqual(
      users.map((u) => [u.name, u.email, u.admin, u.keys, u.vms]),
      [
        ['alice', 'alice@example.com', true, 1, 0],
        ['bob', '', false, 1, 0],
        ['carol', '', true, 1, 0],
      ],
    );
  });

  it('refuses mistakes with a clear message, a non-zero status and no stack trace', async () => {
    const dave = newKey('dave');
    assertCleanError(await add('dave'), /give exactly one of --key-file F or --key/);
    assertCleanError(await add('dave', '--key', dave.public, '--key-file', alice.file), /give exactly one of --key-file F or --key/);
    assertCleanError(await add('--key', dave.public), /give exactly one user name/);
    assertCleanError(await add('Bad Name', '--key', dave.public), /invalid user name "Bad Name"/);
    assertCleanError(await add('alice', '--key', dave.public), /user name "alice" is taken/);
    assertCleanError(await add('dave', '--key-file', alice.file), /already belongs to an account/);
    assertCleanError(await add('dave', '--key-file', path.join(dir, 'missing.pub')), /cannot read .*missing\.pub: ENOENT/);
    assertCleanError(await add('dave', '--key-file', dir), /cannot read .*: EISDIR/);
    assertCleanError(await add('dave', '--key', 'garbage'), /not an OpenSSH public key/);
    const privateFile = path.join(dir, 'id_ed25519');
    fs.writeFileSync(privateFile, dave.private, { mode: 0o600 });
    const leaked = await add('dave', '--key-file', privateFile);
    assertCleanError(leaked, /not an OpenSSH public key/);
    assert.ok(!leaked.stderr.includes(dave.private.split('\n')[1]), 'the private key is not echoed');
    assertCleanError(await add('dave', '--key', 'ssh-ed25519 AAAAnotreallyakey'), /unsupported SSH key|not an OpenSSH public key/);
    assertCleanError(await add('dave', '--key', dave.public, '--email', 'not-an-email'), /email/i);
    assertCleanError(await add('dave', '--key'), /--key/);
    const users = JSON.parse((await cli(['user', 'list', '--json', ...where])).stdout) as { name: string }[];
    assert.deepEqual(
      users.map((u) => u.name),
      ['alice', 'bob', 'carol'],
    );
  });
});

for (const database of DATABASES) describe(`gatehouse serve (${database.name})`, () => {
  const dir = tempDir('gatehouse-serve-');
  const dataDir = path.join(dir, 'data');
  let where: string[];
  let child: ChildProcessWithoutNullStreams;
  let result: Promise<CliResult>;
  let sshPort: number;

  before(async () => {
    where = await databaseFlags(database, dataDir);
    child = start(['serve', '--ssh-listen', '127.0.0.1:0', '--gateway-listen', '127.0.0.1:0', '--admin-listen', '127.0.0.1:0', ...where, '--signup', 'closed']);
    result = collect(child);
    const m = await waitForOutput(child, /SSH control plane on 127\.0\.0\.1:(\d+)[\s\S]*gateway on http:\/\/127\.0\.0\.1:(\d+)[\s\S]*sign-up is closed\n/);
    sshPort = Number(m[1]);
    assert.ok(sshPort > 0 && Number(m[2]) > 0);
  });
  after(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });

  it('user add while serve runs lets the new user in at once', async () => {
    const alice = writeKeyFile(dir, 'alice');
    const refused = await exec(sshPort, alice.key, 'whoami');
    assert.match(refused.stderr, /sign-up is closed/);
    const added = await cli(['user', 'add', 'alice', '--key-file', alice.file, ...where]);
    assert.equal(added.code, 0, added.stderr);
    const who = await exec(sshPort, alice.key, 'whoami --json');
    assert.equal(who.code, 0, who.stderr);
    assert.equal(JSON.parse(who.stdout).name, 'alice');
  });

  it('SIGTERM says goodbye to open sessions, prints a stop line and exits 0', async () => {
    const bob = writeKeyFile(dir, 'bob');
    assert.equal((await cli(['user', 'add', 'bob', '--key-file', bob.file, ...where])).code, 0);
    const term = await openShell(sshPort, bob.key);
    await term.waitForPrompt();
    child.kill('SIGTERM');
    await term.waitClosed();
    assert.match(term.screen(), /gatehouse is shutting down; goodbye\.$/);
    const r = await result;
    assert.equal(r.code, 0, r.stderr);
    // The JSON log lines (app.ts: listening, stopped) interleave with main's text lines: left out here.
    assert.match(r.stdout.replace(/^\{.*\}\n/gm, ''), /gatehouse: SIGTERM received, shutting down\ngatehouse: stopped\n$/);
    // Nothing but the event-loop watch's own warnings, which a loaded machine may draw at start-up.
    assert.equal(r.stderr.replace(/^\S+ WARN event loop blocked for \d+ ms;.*\n/gm, ''), '');
  });
});

describe('gatehouse serve with a broken setting', () => {
  const base = () => ['serve', '--ssh-listen', '127.0.0.1:0', '--gateway-listen', '127.0.0.1:0', '--admin-listen', '127.0.0.1:0', '--data-dir', path.join(tempDir('gatehouse-bad-'), 'data')];
  let busy: net.Server;
  let busyPort: number;
  before(async () => {
    busy = net.createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    busyPort = (busy.address() as net.AddressInfo).port;
  });
  after(() => busy.close());

  const cases: [string, string[], Record<string, string>, RegExp][] = [
    ['--signup maybe', ['--signup', 'maybe'], {}, /--signup \(GATEHOUSE_SIGNUP\): "maybe" must be open or closed/],
    ['--ssh-listen nonsense', ['--ssh-listen', 'nonsense'], {}, /--ssh-listen \(GATEHOUSE_SSH_LISTEN\): "nonsense" is not HOST:PORT/],
    ['GATEHOUSE_VM_POOL=bad', [], { GATEHOUSE_VM_POOL: 'bad' }, /GATEHOUSE_VM_POOL: "bad" must be an IPv4 CIDR/],
    ['GATEHOUSE_MONTHLY_CREDITS=-1', [], { GATEHOUSE_MONTHLY_CREDITS: '-1' }, /GATEHOUSE_MONTHLY_CREDITS: "-1"/],
    ['an unknown flag', ['--frob', 'x'], {}, /gatehouse: error: .*--frob/],
  ];
  for (const [what, flags, env, pattern] of cases) {
    it(`${what}: exits non-zero naming the setting`, async () => {
      const r = await cli([...base(), ...flags], env);
      assertCleanError(r, pattern);
      assert.doesNotMatch(r.stdout, /SSH control plane on/);
    });
  }

  it('an SSH address in use: exits non-zero naming the setting and the address', async () => {
    const r = await cli([...base(), '--ssh-listen', `127.0.0.1:${busyPort}`]);
    assertCleanError(r, new RegExp(`--ssh-listen \\(GATEHOUSE_SSH_LISTEN\\): cannot listen on 127\\.0\\.0\\.1:${busyPort} \\(EADDRINUSE\\)`));
  });

  it('a gateway address in use: exits non-zero naming the address', async () => {
    const r = await cli([...base(), '--gateway-listen', `127.0.0.1:${busyPort}`]);
    assertCleanError(r, new RegExp(`GATEHOUSE_GATEWAY_LISTEN\\): cannot listen on 127\\.0\\.0\\.1:${busyPort} \\(EADDRINUSE\\)`));
  });
});
