// Sealing provider keys at rest: AES-256-GCM under the installation's secret key, a fresh
// 96-bit nonce per secret, and associated data binding each ciphertext to its integration and
// provider (a sealed key copied onto another row fails to open).
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { GatehouseError } from '../errors.js';

const VERSION = 'v1';

export class Sealer {
  constructor(private readonly key: Buffer) {
    if (key.length !== 32) throw new GatehouseError('config', 'GATEHOUSE_SECRET_KEY: must be 32 bytes');
  }

  seal(plaintext: string, associated: string): string {
    const nonce = crypto.randomBytes(12);
    const cipher = crypto.createCipheriv('aes-256-gcm', this.key, nonce);
    cipher.setAAD(Buffer.from(associated));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return `${VERSION}:${Buffer.concat([nonce, cipher.getAuthTag(), body]).toString('base64')}`;
  }

  open(sealed: string, associated: string): string {
    const [version, b64, extra] = sealed.split(':');
    const raw = Buffer.from(b64 ?? '', 'base64');
    // nonce (12) + tag (16) + at least nothing: anything shorter is not a sealed value.
    if (version !== VERSION || !b64 || extra !== undefined || raw.length < 28) throw new GatehouseError('internal', 'stored secret has an unknown format');
    try {
      // authTagLength pins the tag at 16 bytes: GCM would otherwise accept a truncated tag.
      const decipher = crypto.createDecipheriv('aes-256-gcm', this.key, raw.subarray(0, 12), { authTagLength: 16 });
      decipher.setAAD(Buffer.from(associated));
      decipher.setAuthTag(raw.subarray(12, 28));
      return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
    } catch (cause) {
      throw new GatehouseError('internal', 'a stored secret could not be decrypted (was GATEHOUSE_SECRET_KEY changed?)', { cause });
    }
  }

  /** A keyed hash (HMAC-SHA256) under a key derived from the secret key: for API key lookups. */
  pepperedHash(value: string): string {
    const pepper = crypto.createHmac('sha256', this.key).update('gatehouse api key pepper v1').digest();
    return crypto.createHmac('sha256', pepper).update(value).digest('hex');
  }
}

export function integrationSecretContext(integrationId: number, provider: string): string {
  return `integration:${integrationId}:provider:${provider}`;
}

/** The secret key from GATEHOUSE_SECRET_KEY (64 hex chars or base64 of 32 bytes), else a generated file. */
export function loadSecretKey(configured: string | undefined, dataDir: string): Buffer {
  if (configured) {
    // Buffer.from(…, 'base64') skips characters it does not know: check the alphabet first, so a typo is refused, not half-read.
    const hex = /^[0-9a-fA-F]{64}$/.test(configured);
    const base64 = /^[A-Za-z0-9+/]+={0,2}$|^[A-Za-z0-9_-]+={0,2}$/.test(configured);
    const key = hex ? Buffer.from(configured, 'hex') : base64 ? Buffer.from(configured, 'base64') : Buffer.alloc(0);
    if (key.length !== 32) throw new GatehouseError('config', 'GATEHOUSE_SECRET_KEY: must be 32 bytes, as 64 hex characters or base64');
    return key;
  }
  const file = path.join(dataDir, 'secret.key');
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  try {
    fs.writeFileSync(file, crypto.randomBytes(32).toString('hex') + '\n', { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  const text = fs.readFileSync(file, 'utf8').trim();
  if (!/^[0-9a-f]{64}$/.test(text)) throw new GatehouseError('config', `${file}: not a 64-character hex key; restore it from a backup (stored provider keys depend on it)`);
  return Buffer.from(text, 'hex');
}
