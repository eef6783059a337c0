// The operator CLI as an operator runs it: `node bin/gatehouse.js …` in a child process.
import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { SETTINGS } from '../../src/config.js';
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

/**
 * A log line's fields, whatever the log's format: pino's JSON line, or the placeholder log's
 * "TIME message {fields}" (src/log.ts consoleLog) until the merge with issue 16 part A.
 */
function logFields(line: string): (Record<string, unknown> & { text: string }) | undefined {
  const brace = line.indexOf('{');
  if (brace === -1) return undefined;
  try {
    return { ...(JSON.parse(line.slice(brace)) as Record<string, unknown>), text: line };
  } catch {
    return undefined;
  }
}

/** Waits until a log line on stdout or stderr satisfies `match`; returns its fields. */
function waitForLog(child: ChildProcessWithoutNullStreams, match: (fields: Record<string, unknown> & { text: string }) => boolean): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const seen = { stdout: '', stderr: '' };
    const done = (err?: Error, fields?: Record<string, unknown>) => {
      clearTimeout(timer);
      child.stdout.off('data', onOut);
      child.stderr.off('data', onErr);
      if (err) reject(err);
      else resolve(fields!);
    };
    const timer = setTimeout(() => done(new Error(`deadline waiting for a log line; stdout: ${seen.stdout}; stderr: ${seen.stderr}`)), DEADLINE_MS);
    const scan = (stream: 'stdout' | 'stderr') => (d: Buffer) => {
      seen[stream] += d;
      for (const line of seen[stream].split('\n')) {
        const fields = logFields(line);
        if (fields && match(fields)) return done(undefined, fields);
      }
    };
    const onOut = scan('stdout');
    const onErr = scan('stderr');
    child.stdout.on('data', onOut);
    child.stderr.on('data', onErr);
    child.once('exit', (code) => done(new Error(`exited ${code} before the log line; stdout: ${seen.stdout}; stderr: ${seen.stderr}`)));
  });
}

const listening = (component: string) => (f: { text: string; component?: unknown; listen?: unknown }) => f.text.includes('listening') && f.component === component && typeof f.listen === 'string';

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
  it('without a command, with --help and with help, prints the commands', async () => {
    const outputs = new Set<string>();
    for (const args of [[], ['--help'], ['-h'], ['help']]) {
      const r = await cli(args);
      assert.equal(r.code, 0);
      assert.match(r.stdout, /usage: gatehouse <command>[\s\S]*serve[\s\S]*audit[\s\S]*user add\|list/);
      outputs.add(r.stdout);
    }
    assert.equal(outputs.size, 1);
  });

  it('issue 16.5: help comes from the declarations: `help CMD` equals `CMD --help`, and a group lists its subcommands', async () => {
    for (const command of [['serve'], ['user', 'add'], ['user', 'list'], ['audit']]) {
      const viaFlag = await cli([...command, '--help']);
      const viaHelp = await cli(['help', ...command]);
      assert.equal(viaFlag.code, 0);
      assert.equal(viaFlag.stdout, viaHelp.stdout, command.join(' '));
      assert.match(viaFlag.stdout, new RegExp(`^usage: gatehouse ${command.join(' ')} `));
      assert.match(viaFlag.stdout, /--json +print machine-readable JSON/);
    }
    const group = await cli(['user']);
    assert.equal(group.code, 0);
    assert.match(group.stdout, /user add \[flags\] NAME[\s\S]*user list \[flags\]/);
    const audit = await cli(['audit', '--help']);
    for (const flag of ['user', 'action', 'since', 'limit', 'data-dir', 'database-url']) assert.match(audit.stdout, new RegExp(`--${flag} `));
  });

  it('serve --help lists every setting with its flag, variable and default', async () => {
    const r = await cli(['serve', '--help']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /usage: gatehouse serve/);
    for (const { flag, env } of SETTINGS) assert.match(r.stdout, new RegExp(`--${flag} +${env} `));
  });

  it('user add --help and user list --help print their usage', async () => {
    const add = await cli(['user', 'add', '--help']);
    assert.equal(add.code, 0);
    assert.match(add.stdout, /usage: gatehouse user add \[flags\] NAME/);
    for (const flag of ['--key-file F', '--key "ssh-ed25519 …"', '--email E', '--admin', '--data-dir', '--database-url']) assert.ok(add.stdout.includes(`  ${flag} `), flag);
    const list = await cli(['user', 'list', '--help']);
    assert.equal(list.code, 0);
    assert.match(list.stdout, /usage: gatehouse user list \[flags\]/);
    assert.match(list.stdout, /--json /);
  });

  it('an unknown command or subcommand is an error that says what exists', async () => {
    assertCleanError(await cli(['frob']), /gatehouse: error: command not found: "frob"\nrun "gatehouse --help"/);
    assertCleanError(await cli(['help', 'frob']), /gatehouse: error: command not found: "frob"/);
    assertCleanError(await cli(['user', 'frob']), /"user" subcommand "frob" not found, valid subcommands are: add, list/);
    assertCleanError(await cli(['user', 'list', '--frob']), /gatehouse: error: unknown flag --frob/);
    assertCleanError(await cli(['audit', '--frob']), /gatehouse: error: unknown flag --frob/);
    assertCleanError(await cli(['user', '--frob']), /gatehouse: error: unknown flag --frob/);
    assertCleanError(await cli(['user', 'list', 'extra']), /unexpected argument "extra"/);
    assert.equal((await cli(['user', 'list', '--frob'])).code, 2, 'a usage error exits 2');
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
    assertCleanError(await add('--key', dave.public), /missing argument NAME/);
    assertCleanError(await add('dave', 'eve', '--key', dave.public), /unexpected argument "eve"/);
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

  it('issue 16.4: user add is audited (via cli, actor operator:<os user>, failures with their code); gatehouse audit reads it', async () => {
    const r = await cli(['audit', '--json', ...where]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.split('\n').length, 2, 'one line');
    const rows = JSON.parse(r.stdout) as Record<string, string | null>[];
    const adds = rows.filter((e) => e.action === 'user add');
    assert.ok(adds.every((e) => e.via === 'cli' && /^operator:\S+$/.test(String(e.actor)) && e.key === null), JSON.stringify(adds));
    assert.deepEqual(
      adds.filter((e) => e.outcome === 'ok').map((e) => e.target).reverse(),
      ['user alice', 'user bob', 'user carol'],
    );
    assert.ok(adds.some((e) => e.target === 'user alice' && e.outcome === 'conflict'), 'a refused add is recorded with its code');
    assert.ok(adds.some((e) => e.outcome === 'invalid_input'), 'so is an invalid name');
    // Filters as admin audit's: --user finds the subject, --action the command words, --limit caps.
    const carolRows = JSON.parse((await cli(['audit', '--json', '--user', 'carol', ...where])).stdout) as { target: string }[];
    assert.deepEqual(carolRows.map((e) => e.target), ['user carol']);
    assert.equal(JSON.parse((await cli(['audit', '--json', '--action', 'user', '--limit', '1', ...where])).stdout).length, 1);
    const text = await cli(['audit', '--action', 'user add', ...where]);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /^AT \(UTC\) +ACTOR +KEY +ADDRESS +ACTION +TARGET +OUTCOME +DETAIL\n/);
    assert.match(text.stdout, /operator:\S+ +- +- +user add +user carol +ok +fingerprint SHA256:\S+; admin\n/);
    for (const [flag, value] of [['--limit', '0'], ['--limit', '5001'], ['--since', 'yesterday'], ['--action', '%']]) {
      assertCleanError(await cli(['audit', flag, value, ...where]), new RegExp(`invalid ${flag}`));
    }
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
    child = start(['serve', '--ssh-listen', '127.0.0.1:0', '--gateway-listen', '127.0.0.1:0', '--admin-listen', '127.0.0.1:0', '--web-listen', '127.0.0.1:0', ...where, '--signup', 'closed']);
    result = collect(child);
    const [ssh, gateway] = await Promise.all([waitForLog(child, listening('ssh')), waitForLog(child, listening('gateway'))]);
    sshPort = Number(/^127\.0\.0\.1:(\d+)$/.exec(String(ssh.listen))?.[1]);
    assert.ok(sshPort > 0 && Number(/^127\.0\.0\.1:(\d+)$/.exec(String(gateway.listen))?.[1]) > 0);
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

  it('SIGTERM says goodbye to open sessions, logs the signal and a stop line, and exits 0', async () => {
    const bob = writeKeyFile(dir, 'bob');
    assert.equal((await cli(['user', 'add', 'bob', '--key-file', bob.file, ...where])).code, 0);
    const term = await openShell(sshPort, bob.key);
    await term.waitForPrompt();
    child.kill('SIGTERM');
    await term.waitClosed();
    assert.match(term.screen(), /gatehouse is shutting down; goodbye\.$/);
    const r = await result;
    assert.equal(r.code, 0, r.stderr);
    const logged = (r.stdout + r.stderr).split('\n').filter(Boolean);
    const signal = logged.findIndex((l) => l.includes('signal received, shutting down') && logFields(l)?.signal === 'SIGTERM');
    const stopped = logged.findIndex((l) => /\bstopped\b/.test(l));
    assert.ok(signal !== -1 && stopped > signal, logged.join('\n'));
    // Log lines only, none an error: the event-loop watch may warn on a loaded machine.
    for (const line of logged) {
      assert.ok(logFields(line) || /^\S+ (WARN )?[a-z]/.test(line), `not a log line: ${line}`);
      assert.doesNotMatch(line, /ERROR|"level":"error"|\n\s+at /);
    }
  });
});

describe('gatehouse serve with a broken setting', () => {
  /** serve on port 0 unless the case gives the address: a flag given twice is itself refused. */
  const base = (...flags: string[]) => [
    'serve',
    ...['--ssh-listen', '--gateway-listen', '--admin-listen', '--web-listen'].filter((f) => !flags.includes(f)).flatMap((f) => [f, '127.0.0.1:0']),
    '--data-dir', path.join(tempDir('gatehouse-bad-'), 'data'),
    ...flags,
  ];
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
    ['an unknown flag', ['--frob', 'x'], {}, /gatehouse: error: unknown flag --frob/],
    ['a flag given twice', ['--signup', 'open', '--signup', 'closed'], {}, /gatehouse: error: flag --signup was given more than once/],
    ['a flag without its value', ['--signup'], {}, /gatehouse: error: flag --signup needs a value/],
  ];
  for (const [what, flags, env, pattern] of cases) {
    it(`${what}: exits non-zero naming the setting`, async () => {
      const r = await cli(base(...flags), env);
      assertCleanError(r, pattern);
      assert.doesNotMatch(r.stdout + r.stderr, /listening/);
    });
  }

  it('an SSH address in use: exits non-zero naming the setting and the address', async () => {
    const r = await cli(base('--ssh-listen', `127.0.0.1:${busyPort}`));
    assertCleanError(r, new RegExp(`--ssh-listen \\(GATEHOUSE_SSH_LISTEN\\): cannot listen on 127\\.0\\.0\\.1:${busyPort} \\(EADDRINUSE\\)`));
  });

  it('a gateway address in use: exits non-zero naming the address', async () => {
    const r = await cli(base('--gateway-listen', `127.0.0.1:${busyPort}`));
    assertCleanError(r, new RegExp(`GATEHOUSE_GATEWAY_LISTEN\\): cannot listen on 127\\.0\\.0\\.1:${busyPort} \\(EADDRINUSE\\)`));
  });
});
