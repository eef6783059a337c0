// Host keys: the operator's files (GATEHOUSE_HOST_KEYS), or one ed25519 key generated on
// first start in the data dir (mode 0600) and reused after, so clients' known_hosts stay valid.
import fs from 'node:fs';
import path from 'node:path';
import ssh2 from 'ssh2';
import type { ParsedKey } from 'ssh2';
import { GatehouseError } from '../errors.js';
import { fastSigningKey } from './keyObjects.js';

const { utils } = ssh2;

/** Parsed once, with signing on a cached KeyObject (see keyObjects.ts). */
export function loadHostKeys(files: string[], dataDir: string): ParsedKey[] {
  if (files.length === 0) return [hostKey(generatedKey(dataDir), path.join(dataDir, 'ssh_host_ed25519_key'))];
  return files.map((file) => {
    let data: Buffer;
    try {
      data = fs.readFileSync(file);
    } catch (cause) {
      throw new GatehouseError('config', `GATEHOUSE_HOST_KEYS: cannot read ${file}: ${(cause as NodeJS.ErrnoException).code ?? cause}`);
    }
    return hostKey(data, file);
  });
}

function hostKey(data: Buffer, file: string): ParsedKey {
  const parsed = fastSigningKey(data);
  if (parsed instanceof Error || !parsed.isPrivateKey()) {
    throw new GatehouseError('config', `GATEHOUSE_HOST_KEYS: ${file} is not an unencrypted private key (${parsed instanceof Error ? parsed.message : 'public key given'})`);
  }
  return parsed;
}

function generatedKey(dataDir: string): Buffer {
  const file = path.join(dataDir, 'ssh_host_ed25519_key');
  if (fs.existsSync(file)) return fs.readFileSync(file);
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const pair = generateEd25519('gatehouse host key');
  // 'wx': if another process created it in the meantime, keep theirs.
  try {
    fs.writeFileSync(file, pair.private, { mode: 0o600, flag: 'wx' });
    fs.writeFileSync(`${file}.pub`, pair.public + '\n', { mode: 0o644 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  return fs.readFileSync(file);
}

/**
 * An ed25519 key pair in OpenSSH format. ssh2's generator strips leading zero bytes from the
 * public key, so about 1 pair in 256 cannot be parsed back (mscdex/ssh2#1390, #1513): such a host
 * key would stop the server from starting, now and at every restart. Draw again until it parses.
 */
export function generateEd25519(comment: string): { private: string; public: string } {
  for (let attempt = 0; ; attempt++) {
    const pair = utils.generateKeyPairSync('ed25519', { comment });
    const ok = [pair.private, pair.public].every((text) => !(utils.parseKey(text) instanceof Error));
    if (ok || attempt >= 32) return pair;
  }
}
