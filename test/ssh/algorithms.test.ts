// Issue 11, "SSH algorithms": the listener offers what a hardened OpenSSH offers, ssh-audit finds
// nothing to fail or warn about, and OpenSSH, PuTTY and ssh2 clients still log in.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import ssh2 from 'ssh2';
import { startTestGatehouse, tempDir, type TestGatehouse } from '../helpers/gatehouse.js';
import { hasOpenSsh, runOpenSsh, signUp, type KeyPair } from '../helpers/ssh.js';
import { audit, hasSshAudit, type Finding } from './audit.js';
import { within } from './limitsHelpers.js';

const KEX = ['curve25519-sha256', 'curve25519-sha256@libssh.org', 'diffie-hellman-group16-sha512'];
const CIPHERS = ['chacha20-poly1305@openssh.com', 'aes256-gcm@openssh.com', 'aes128-gcm@openssh.com', 'aes256-ctr', 'aes192-ctr', 'aes128-ctr'];
const MACS = ['hmac-sha2-256-etm@openssh.com', 'hmac-sha2-512-etm@openssh.com'];

/** Findings that are not ours to fix, each with its reason. */
const ALLOWED: { why: string; matches(f: Finding): boolean }[] = [
  {
    why: 'ssh-audit before 3.1 predates the strict-KEX marker (Terrapin, Dec 2023) and calls it unknown; later versions list it as info',
    matches: (f) => f.algorithm === 'kex-strict-s-v00@openssh.com' && /unknown algorithm/.test(f.text),
  },
  {
    why: 'ssh-audit after 3.3 (its development branch) warns on every classical key exchange; ssh2 implements no post-quantum hybrid (sntrup761x25519, mlkem768x25519)',
    matches: (f) => f.level === 'warn' && /post-quantum/.test(f.text),
  },
];

const hasPlink = spawnSync('plink', ['-V']).error === undefined && spawnSync('puttygen', ['--version']).error === undefined;

let gh: TestGatehouse;
let alice: KeyPair;
before(async () => {
  gh = await startTestGatehouse();
  alice = await signUp(gh.sshPort, 'alice');
});
after(() => gh.stop());

describe('issue 11: SSH algorithms', () => {
  it('ssh-audit finds no failure and no warning, and sees the hardened lists', { skip: !hasSshAudit && 'ssh-audit not installed' }, async () => {
    const report = await audit(gh.sshPort);
    const fail = report.findings.some((f) => f.level === 'fail');
    const warn = report.findings.some((f) => f.level === 'warn');
    assert.equal(report.status, fail ? 3 : warn ? 2 : 0, 'exit status agrees with the findings');
    assert.deepEqual(report.findings.filter((f) => !ALLOWED.some((a) => a.matches(f))), []);
    assert.deepEqual(report.kex, [...KEX, 'kex-strict-s-v00@openssh.com']);
    assert.deepEqual(report.key, ['ssh-ed25519']);
    assert.deepEqual(report.enc, CIPHERS);
    assert.deepEqual(report.mac, MACS);
    assert.deepEqual(report.compression, ['none']);
  });

  it('an RSA host key is offered with SHA-2 signatures only', { skip: !hasSshAudit && 'ssh-audit not installed' }, async () => {
    const file = path.join(tempDir('gatehouse-rsa-'), 'ssh_host_rsa_key');
    fs.writeFileSync(file, ssh2.utils.generateKeyPairSync('rsa', { bits: 3072 }).private, { mode: 0o600 });
    const rsa = await startTestGatehouse({ GATEHOUSE_HOST_KEYS: file });
    try {
      const report = await audit(rsa.sshPort);
      assert.deepEqual(report.key, ['rsa-sha2-512', 'rsa-sha2-256']);
      assert.deepEqual(report.findings.filter((f) => !ALLOWED.some((a) => a.matches(f))), []);
    } finally {
      await rsa.stop();
    }
  });

  it('OpenSSH logs in with each offered exchange, cipher and MAC, in strict-KEX mode, and refuses the removed ones', { skip: !hasOpenSsh && 'OpenSSH client not installed' }, async () => {
    const runs = [
      ...KEX.map((k) => ['-o', `KexAlgorithms=${k}`]),
      ...CIPHERS.map((c) => ['-o', `Ciphers=${c}`]),
      ...MACS.map((m) => ['-o', 'Ciphers=aes128-ctr', '-o', `MACs=${m}`]),
    ];
    for (const options of runs) {
      const r = await runOpenSsh(gh.sshPort, alice, ['-vvv', ...options], ['whoami']);
      assert.equal(r.code, 0, `${options.join(' ')}: ${r.stderr.slice(-500)}`);
      assert.match(r.stdout, /alice/);
      assert.match(r.stderr, /will use strict KEX ordering/, options.join(' '));
    }
    for (const removed of [['-o', 'KexAlgorithms=ecdh-sha2-nistp256'], ['-o', 'Ciphers=aes128-ctr', '-o', 'MACs=hmac-sha1'], ['-o', 'HostKeyAlgorithms=ssh-rsa']]) {
      const r = await runOpenSsh(gh.sshPort, alice, removed, ['whoami']);
      assert.equal(r.code, 255, removed.join(' '));
    }
  });

  it('ssh2 clients log in with each offered exchange and cipher', async () => {
    for (const algorithms of [...KEX.map((k) => ({ kex: [k] })), ...CIPHERS.map((c) => ({ cipher: [c] }))] as ssh2.Algorithms[]) {
      const negotiated = await handshake(gh.sshPort, alice, algorithms);
      if (algorithms.kex) assert.equal(negotiated.kex, (algorithms.kex as string[])[0]);
      if (algorithms.cipher) assert.equal(negotiated.cs.cipher, (algorithms.cipher as string[])[0]);
    }
  });

  it("PuTTY's plink logs in with its defaults and runs whoami", { skip: !hasPlink && 'plink/puttygen (putty-tools) not installed' }, async () => {
    const dir = tempDir('gatehouse-putty-');
    fs.writeFileSync(path.join(dir, 'id'), alice.private, { mode: 0o600 });
    const converted = spawnSync('puttygen', [path.join(dir, 'id'), '-O', 'private', '-o', path.join(dir, 'id.ppk')]);
    assert.equal(converted.status, 0, String(converted.stderr));
    const pub = fs.readFileSync(path.join(gh.dataDir, 'ssh_host_ed25519_key.pub'), 'utf8').split(' ')[1];
    const fingerprint = `SHA256:${createHash('sha256').update(Buffer.from(pub, 'base64')).digest('base64').replace(/=+$/, '')}`;
    const r = await plink(['-batch', '-ssh', '-P', String(gh.sshPort), '-i', path.join(dir, 'id.ppk'), '-hostkey', fingerprint, 'alice@127.0.0.1', 'whoami']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /alice/);
  });
});

describe('issue 11: SSH settings', () => {
  it('each list can be overridden', async () => {
    const custom = await startTestGatehouse({ GATEHOUSE_SSH_KEX: 'diffie-hellman-group18-sha512', GATEHOUSE_SSH_CIPHERS: 'aes256-ctr', GATEHOUSE_SSH_MACS: 'hmac-sha2-512-etm@openssh.com', GATEHOUSE_SSH_COMPRESSION: 'none,zlib@openssh.com' });
    try {
      const key = await signUp(custom.sshPort, 'carol');
      const negotiated = await handshake(custom.sshPort, key, {});
      assert.deepEqual([negotiated.kex, negotiated.cs.cipher, negotiated.cs.mac], ['diffie-hellman-group18-sha512', 'aes256-ctr', 'hmac-sha2-512-etm@openssh.com']);
    } finally {
      await custom.stop();
    }
  });

  it('a name ssh2 lacks, or its server cannot do, fails the start naming the setting', async () => {
    const cases: [Record<string, string>, RegExp][] = [
      [{ GATEHOUSE_SSH_KEX: 'ecdh-sha2-nistp999' }, /GATEHOUSE_SSH_KEX: "ecdh-sha2-nistp999" is not supported \(choose from: .*curve25519-sha256/],
      [{ GATEHOUSE_SSH_KEX: 'diffie-hellman-group-exchange-sha256' }, /GATEHOUSE_SSH_KEX: .* is not implemented by the SSH server library/],
      [{ GATEHOUSE_SSH_CIPHERS: 'rot13' }, /GATEHOUSE_SSH_CIPHERS: "rot13" is not supported/],
      [{ GATEHOUSE_SSH_MACS: 'hmac-sha2-256-etm@openssh.com,hmac-sha2-256-etm@openssh.com' }, /GATEHOUSE_SSH_MACS: names an algorithm twice/],
      [{ GATEHOUSE_SSH_COMPRESSION: ' , ' }, /GATEHOUSE_SSH_COMPRESSION: names nothing/],
      [{ GATEHOUSE_SSH_HOST_KEY_ALGORITHMS: 'rsa-sha2-512' }, /GATEHOUSE_HOST_KEYS: a ssh-ed25519 host key is given, but GATEHOUSE_SSH_HOST_KEY_ALGORITHMS allows none/],
      [{ GATEHOUSE_SSH_MAX_SESSIONS_PER_USER: '0' }, /GATEHOUSE_SSH_MAX_SESSIONS_PER_USER: "0" must be a positive whole number/],
      [{ GATEHOUSE_SSH_HANDSHAKE_TIMEOUT_MS: '3000000000' }, /GATEHOUSE_SSH_HANDSHAKE_TIMEOUT_MS: must be at most 3600000/],
    ];
    for (const [env, message] of cases) await assert.rejects(startTestGatehouse(env), message, JSON.stringify(env));
  });
});

function handshake(port: number, key: KeyPair, algorithms: ssh2.Algorithms): Promise<ssh2.NegotiatedAlgorithms> {
  return within(
    new Promise((resolve, reject) => {
      const client = new ssh2.Client();
      let negotiated: ssh2.NegotiatedAlgorithms | undefined;
      client.on('handshake', (n) => (negotiated = n));
      client.on('ready', () => {
        client.end();
        resolve(negotiated!);
      });
      client.on('error', reject);
      client.connect({ host: '127.0.0.1', port, username: 'test', privateKey: key.private, algorithms });
    }),
    `handshake ${JSON.stringify(algorithms)}`,
  );
}

function plink(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return within(
    new Promise((resolve) => {
      const child = spawn('plink', args, { stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d));
      child.stderr.on('data', (d: Buffer) => (stderr += d));
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    }),
    'plink',
  );
}
