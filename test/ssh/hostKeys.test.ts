// Operator host keys (GATEHOUSE_HOST_KEYS) of every type: the server signs its key exchange with
// each one, whichever host-key algorithm the client asks for. gatehouse signs with a KeyObject
// rather than ssh2's PEM path (src/ssh/keyObjects.ts), so each algorithm is checked end to end.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import ssh2 from 'ssh2';
import { startTestGatehouse, tempDir, type TestGatehouse } from '../helpers/gatehouse.js';
import { hasOpenSsh, runOpenSsh, signUp, type KeyPair } from '../helpers/ssh.js';
import { fastSigningKey, verifySignature } from '../../src/ssh/keyObjects.js';
import { generateEd25519 } from '../../src/ssh/hostKeys.js';

const dir = tempDir('gatehouse-hostkeys-');
const hostKeys = {
  ed25519: generateEd25519('test host key'), // ssh2's generator alone fails 1 time in 256 (mscdex/ssh2#1390)
  ecdsa: ssh2.utils.generateKeyPairSync('ecdsa', { bits: 256 }),
  rsa: ssh2.utils.generateKeyPairSync('rsa', { bits: 2048 }),
};
const files = Object.entries(hostKeys).map(([type, pair]) => {
  const file = path.join(dir, `ssh_host_${type}_key`);
  fs.writeFileSync(file, pair.private, { mode: 0o600 });
  return file;
});

/** The host-key algorithm each client choice is served with, and the key behind it. */
const cases: [algorithm: string, key: keyof typeof hostKeys][] = [
  ['ssh-ed25519', 'ed25519'],
  ['ecdsa-sha2-nistp256', 'ecdsa'],
  ['rsa-sha2-512', 'rsa'],
  ['rsa-sha2-256', 'rsa'],
];

let gh: TestGatehouse;
let alice: KeyPair;

before(async () => {
  gh = await startTestGatehouse({ GATEHOUSE_HOST_KEYS: files.join(',') });
  alice = await signUp(gh.sshPort, 'alice');
});
after(() => gh.stop());

/** Connects asking for one host-key algorithm; resolves with the host key the server presented. */
function hostKeyFor(algorithm: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    let presented: Buffer | undefined;
    const client = new ssh2.Client();
    client
      .on('ready', () => {
        client.end();
        resolve(presented!);
      })
      .on('error', reject)
      .connect({
        host: '127.0.0.1',
        port: gh.sshPort,
        username: 'alice',
        privateKey: alice.private,
        algorithms: { serverHostKey: [algorithm as ssh2.ServerHostKeyAlgorithm] },
        hostVerifier: (key: Buffer) => {
          presented = key;
          return true;
        },
      });
  });
}

const blobOf = (publicKey: string) => Buffer.from(publicKey.split(' ')[1], 'base64');

describe('operator host keys', () => {
  for (const [algorithm, key] of cases) {
    it(`signs the key exchange with the ${key} key when the client asks for ${algorithm}`, async () => {
      // ssh2's client verifies the exchange signature before 'ready': a bad signature fails here.
      assert.deepEqual(await hostKeyFor(algorithm), blobOf(hostKeys[key].public));
    });
  }

  it('OpenSSH verifies each host key type against known_hosts', { skip: !hasOpenSsh && 'OpenSSH client not installed' }, async () => {
    for (const [algorithm, key] of cases) {
      const knownHosts = path.join(tempDir('gatehouse-known-'), 'known_hosts');
      fs.writeFileSync(knownHosts, `[127.0.0.1]:${gh.sshPort} ${hostKeys[key].public}\n`);
      const options = ['-o', `HostKeyAlgorithms=${algorithm}`, '-o', 'StrictHostKeyChecking=yes', '-o', `UserKnownHostsFile=${knownHosts}`];
      const r = await runOpenSsh(gh.sshPort, alice, options, ['whoami']);
      assert.equal(r.code, 0, `${algorithm}: ${r.stderr}`);
      assert.match(r.stdout, /alice/);
    }
  });

  it('issue 11: an RSA host key no longer signs with SHA-1 (ssh-rsa)', async () => {
    await assert.rejects(hostKeyFor('ssh-rsa'), /no matching host key format/i);
  });

  it('refuses to start on a host key file that holds a public key', async () => {
    const file = path.join(dir, 'public_only');
    fs.writeFileSync(file, hostKeys.ed25519.public);
    await assert.rejects(startTestGatehouse({ GATEHOUSE_HOST_KEYS: file }), /is not an unencrypted private key \(public key given\)/);
  });
});

describe('KeyObject signing and verifying', () => {
  const data = Buffer.from('exchange hash');

  it('signs as ssh2 does, for every key type', () => {
    for (const [type, pair] of Object.entries(hostKeys)) {
      const fast = fastSigningKey(pair.private);
      assert.ok(!(fast instanceof Error));
      const reference = ssh2.utils.parseKey(pair.private) as ssh2.ParsedKey;
      for (const algo of type === 'rsa' ? [undefined, 'sha256', 'sha512'] : [undefined]) {
        const signature = fast.sign(data, algo);
        assert.ok(reference.verify(data, signature, algo), `${type} ${algo ?? 'default'}`);
      }
    }
  });

  it('verifies only the signature of the key it is given', () => {
    const signer = ssh2.utils.parseKey(hostKeys.ecdsa.private) as ssh2.ParsedKey;
    const signature = signer.sign(data);
    const text = hostKeys.ecdsa.public;
    assert.equal(verifySignature(text, data, signature), true);
    assert.equal(verifySignature(text, Buffer.from('another hash'), signature), false);
    assert.equal(verifySignature(hostKeys.ed25519.public, data, signature), false, 'another key');
    assert.equal(verifySignature('ssh-ed25519 AAAAnotakey', data, signature), false, 'an unparseable key');
    assert.equal(verifySignature(text, data, Buffer.from('garbage')), false, 'a malformed signature');
    // An ECDSA blob of the right shape whose point is not on the curve: ssh2 parses it, OpenSSL refuses it.
    const offCurve = Buffer.from(text.split(' ')[1], 'base64');
    offCurve.fill(0x01, offCurve.length - 32);
    assert.equal(verifySignature(`ecdsa-sha2-nistp256 ${offCurve.toString('base64')}`, data, signature), false, 'a point off the curve');
  });
});
