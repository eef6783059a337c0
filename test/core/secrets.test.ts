// Sealing provider keys at rest (issue #3): AES-256-GCM with associated data, and where the
// installation's secret key comes from (GATEHOUSE_SECRET_KEY or a generated 0600 file).
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { integrationSecretContext, loadSecretKey, Sealer } from '../../src/core/secrets.js';
import { GatehouseError } from '../../src/errors.js';
import { tempDir } from '../helpers/gatehouse.js';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

function dataDir(): string {
  const d = tempDir('gatehouse-secrets-');
  dirs.push(d);
  return d;
}

function isError(code: string, message: RegExp) {
  return (err: unknown) => {
    assert.ok(err instanceof GatehouseError, `expected a GatehouseError, got ${String(err)}`);
    assert.equal(err.code, code);
    assert.match(err.message, message);
    return true;
  };
}

const key = crypto.randomBytes(32);
const sealer = new Sealer(key);
const ctx = integrationSecretContext(7, 'anthropic');

describe('Sealer (AES-256-GCM)', () => {
  it('round-trips a key, including non-ASCII text, and the sealed form holds no plain text', () => {
    for (const plain of ['sk-ant-test', 'ключ-🔑-é', 'x'.repeat(1024)]) {
      const sealed = sealer.seal(plain, ctx);
      assert.match(sealed, /^v1:[A-Za-z0-9+/]+=*$/);
      assert.ok(!sealed.includes(plain));
      assert.ok(!Buffer.from(sealed.slice(3), 'base64').includes(Buffer.from(plain)), 'ciphertext bytes differ from the plain text');
      assert.equal(sealer.open(sealed, ctx), plain);
    }
  });

  it('binds each sealed value to its associated data: another integration or provider cannot open it', () => {
    const sealed = sealer.seal('sk-ant-test', ctx);
    assert.notEqual(integrationSecretContext(8, 'anthropic'), ctx);
    assert.throws(() => sealer.open(sealed, integrationSecretContext(8, 'anthropic')), isError('internal', /could not be decrypted/));
    assert.throws(() => sealer.open(sealed, integrationSecretContext(7, 'openai')), isError('internal', /could not be decrypted/));
    assert.throws(() => sealer.open(sealed, ''), isError('internal', /could not be decrypted/));
  });

  it('does not open under another secret key', () => {
    const sealed = sealer.seal('sk-ant-test', ctx);
    assert.throws(() => new Sealer(crypto.randomBytes(32)).open(sealed, ctx), isError('internal', /GATEHOUSE_SECRET_KEY changed/));
  });

  it('uses a fresh nonce per seal: sealing the same key twice gives different values', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 50; i++) seen.add(sealer.seal('sk-ant-test', ctx));
    assert.equal(seen.size, 50);
    const nonces = new Set([...seen].map((s) => Buffer.from(s.slice(3), 'base64').subarray(0, 12).toString('hex')));
    assert.equal(nonces.size, 50);
  });

  it('detects tampering with the nonce, the tag or the ciphertext', () => {
    const raw = Buffer.from(sealer.seal('sk-ant-test', ctx).slice(3), 'base64');
    for (const at of [0, 12, 27, 28, raw.length - 1]) {
      const copy = Buffer.from(raw);
      copy[at] ^= 0x01;
      assert.throws(() => sealer.open(`v1:${copy.toString('base64')}`, ctx), isError('internal', /could not be decrypted/), `flipped byte ${at}`);
    }
  });

  it('refuses malformed and truncated values with a GatehouseError, never a raw crypto error', () => {
    const good = sealer.seal('sk-ant-test', ctx);
    const raw = Buffer.from(good.slice(3), 'base64');
    const truncatedTag = `v1:${raw.subarray(0, 20).toString('base64')}`; // nonce + half a tag, no body
    for (const bad of ['', 'v1', 'v1:', 'v2:' + good.slice(3), good.slice(3), 'v1:AAAA', truncatedTag, good + ':extra']) {
      assert.throws(() => sealer.open(bad, ctx), isError('internal', /unknown format|could not be decrypted/), JSON.stringify(bad));
    }
  });

  it('refuses a key that is not 32 bytes', () => {
    for (const n of [0, 16, 31, 33, 64]) assert.throws(() => new Sealer(Buffer.alloc(n)), isError('config', /32 bytes/));
  });
});

describe('loadSecretKey', () => {
  const raw = crypto.randomBytes(32);

  it('accepts GATEHOUSE_SECRET_KEY as 64 hex characters (either case) or base64 of 32 bytes, and they mean the same key', () => {
    const dir = dataDir();
    const fromHex = loadSecretKey(raw.toString('hex'), dir);
    const fromUpperHex = loadSecretKey(raw.toString('hex').toUpperCase(), dir);
    const fromBase64 = loadSecretKey(raw.toString('base64'), dir);
    const fromBase64Url = loadSecretKey(raw.toString('base64url'), dir);
    for (const k of [fromHex, fromUpperHex, fromBase64, fromBase64Url]) assert.deepEqual(k, raw);
    // What one sealed, the other opens.
    const sealed = new Sealer(fromHex).seal('sk-ant-test', ctx);
    assert.equal(new Sealer(fromBase64).open(sealed, ctx), 'sk-ant-test');
    assert.deepEqual(fs.readdirSync(dir), [], 'a configured key writes no key file');
  });

  it('refuses a configured key of the wrong length or alphabet, naming the setting', () => {
    const dir = dataDir();
    const wrong = [
      raw.toString('hex').slice(0, 62), // 31 bytes of hex
      raw.toString('hex') + 'ab', // 33 bytes of hex
      crypto.randomBytes(16).toString('base64'),
      crypto.randomBytes(48).toString('base64'),
      'correct horse battery staple',
      // 43 base64 characters and a stray "!": lenient base64 decoding would make 32 bytes of it.
      raw.toString('base64').slice(0, 43) + '!',
      raw.toString('hex').slice(0, 63) + 'g',
    ];
    for (const value of wrong) {
      assert.throws(() => loadSecretKey(value, dir), isError('config', /^GATEHOUSE_SECRET_KEY: must be 32 bytes, as 64 hex characters or base64$/), value);
    }
  });

  it('without a configured key, generates one in the data dir with mode 0600 and reuses it', () => {
    const dir = path.join(dataDir(), 'nested', 'data');
    const first = loadSecretKey(undefined, dir);
    assert.equal(first.length, 32);
    const file = path.join(dir, 'secret.key');
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
    assert.equal(fs.statSync(dir).mode & 0o077, 0, 'the new data dir is private too');
    assert.match(fs.readFileSync(file, 'utf8'), /^[0-9a-f]{64}\n$/);
    const second = loadSecretKey(undefined, dir);
    assert.deepEqual(second, first, 'the same key on the next start: sealed keys stay readable');
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
    // Another installation gets another key.
    assert.notDeepEqual(loadSecretKey(undefined, dataDir()), first);
  });

  it('refuses a damaged key file instead of replacing it, naming the file', () => {
    const dir = dataDir();
    const file = path.join(dir, 'secret.key');
    fs.writeFileSync(file, 'not a key\n', { mode: 0o600 });
    assert.throws(() => loadSecretKey(undefined, dir), isError('config', new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: not a 64-character hex key`)));
    assert.equal(fs.readFileSync(file, 'utf8'), 'not a key\n', 'left as it was');
  });
});
