// What the SSH listener offers in its key exchange: by default what a hardened OpenSSH offers
// (ssh-audit's hardening guides), each list overridable by the operator and checked at start
// against what ssh2 implements, so a typo fails the start with the setting's name, not a client later.
import { createRequire } from 'node:module';
import type { Algorithms, ParsedKey } from 'ssh2';
import type { Config } from '../config.js';
import { GatehouseError } from '../errors.js';

/** ssh2 1.17 does not export what it supports; its constants module holds the lists (filtered by this machine's OpenSSL). */
const supported = createRequire(import.meta.url)('ssh2/lib/protocol/constants.js') as Record<
  'SUPPORTED_KEX' | 'SUPPORTED_CIPHER' | 'SUPPORTED_MAC' | 'SUPPORTED_SERVER_HOST_KEY' | 'SUPPORTED_COMPRESSION',
  string[]
>;

/**
 * No NIST-curve exchange (ssh-audit: "weak elliptic curves"), nothing on SHA-1, no 2048-bit group.
 * No group exchange either: ssh2's server offers it by default but cannot do it (kex.js: "Group
 * exchange not implemented for server"), so a client preferring it was disconnected. ssh2 always
 * appends the strict-KEX marker kex-strict-s-v00@openssh.com (Terrapin, CVE-2023-48795): strict
 * mode is on whenever the client offers it too.
 * DH runs on the one event loop, and a client can make the server compute it for a public value
 * that cost the client nothing: server-side it takes about 0.2 ms with curve25519, 6 ms with group
 * 16 and 29 ms with group 18 (8192 bits). Group 16 stays for clients without curve25519 (FIPS
 * mode); group 18 is left to operators who need it (GATEHOUSE_SSH_KEX).
 */
const DEFAULT_KEX = ['curve25519-sha256', 'curve25519-sha256@libssh.org', 'diffie-hellman-group16-sha512'];
/** AEAD first, then CTR (with the encrypt-then-MAC MACs below); no CBC, no 3DES. */
const DEFAULT_CIPHERS = ['chacha20-poly1305@openssh.com', 'aes256-gcm@openssh.com', 'aes128-gcm@openssh.com', 'aes256-ctr', 'aes192-ctr', 'aes128-ctr'];
/** Encrypt-then-MAC only, no SHA-1 (AEAD ciphers use no MAC at all). */
const DEFAULT_MACS = ['hmac-sha2-256-etm@openssh.com', 'hmac-sha2-512-etm@openssh.com'];
/** RSA keys sign with SHA-2 only (no "ssh-rsa", which is SHA-1); ssh-dss not at all. ECDSA stays for operators who bring such a key. */
const DEFAULT_HOST_KEY = ['ssh-ed25519', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521', 'rsa-sha2-512', 'rsa-sha2-256'];
/** Commands and prompts are small: compression saves nothing and costs a zlib context per connection (and pre-auth zlib is attack surface). */
const DEFAULT_COMPRESSION = ['none'];

/** The algorithms a host key of each type can sign with. */
function signingAlgorithms(keyType: string): string[] {
  return keyType === 'ssh-rsa' ? ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'] : [keyType];
}

function checked(setting: string, list: string[] | undefined, fallback: string[], known: string[], unusable: string[] = []): string[] {
  if (!list) return fallback.filter((a) => known.includes(a)); // e.g. chacha20 missing from this OpenSSL
  for (const name of list) {
    if (unusable.includes(name)) throw new GatehouseError('config', `${setting}: "${name}" is not implemented by the SSH server library`);
    if (!known.includes(name)) throw new GatehouseError('config', `${setting}: "${name}" is not supported (choose from: ${known.filter((k) => !unusable.includes(k)).join(', ')})`);
  }
  return list;
}

/**
 * The host keys as ssh2 should see them. For an RSA key ssh2 offers "ssh-rsa" (SHA-1) whatever the
 * list says (server.js: "Fall back to giving SHA1 the lowest priority"), and it names the algorithm
 * it offers after the key's `type`. So unless the list allows ssh-rsa, an RSA key is handed over as
 * one view per allowed SHA-2 algorithm, typed with that name: ssh2 then offers exactly those and
 * signs with the matching hash (kex.js picks sha256/sha512 from the negotiated name).
 */
export function offeredHostKeys(hostKeys: ParsedKey[], algorithms: Algorithms): ParsedKey[] {
  const allowed = algorithms.serverHostKey as string[];
  return hostKeys.flatMap((key) => {
    if (key.type !== 'ssh-rsa' || allowed.includes('ssh-rsa')) return [key];
    return allowed.filter((a) => a.startsWith('rsa-sha2-')).map((type) => Object.create(key, { type: { value: type } }) as ParsedKey);
  });
}

/** The ssh2 server `algorithms` for this configuration; throws a config error naming the setting. */
export function serverAlgorithms(config: Readonly<Config>, hostKeys: ParsedKey[]): Algorithms {
  const kex = checked('GATEHOUSE_SSH_KEX', config.sshKex, DEFAULT_KEX, supported.SUPPORTED_KEX, ['diffie-hellman-group-exchange-sha256', 'diffie-hellman-group-exchange-sha1']);
  const hostKey = checked('GATEHOUSE_SSH_HOST_KEY_ALGORITHMS', config.sshHostKeyAlgorithms, DEFAULT_HOST_KEY, supported.SUPPORTED_SERVER_HOST_KEY);
  // ssh2 filters only RSA keys by the list and offers every other key whatever it says: check here.
  for (const key of hostKeys) {
    if (!signingAlgorithms(key.type).some((a) => hostKey.includes(a))) {
      throw new GatehouseError('config', `GATEHOUSE_HOST_KEYS: a ${key.type} host key is given, but GATEHOUSE_SSH_HOST_KEY_ALGORITHMS allows none of ${signingAlgorithms(key.type).join(', ')}`);
    }
  }
  return {
    kex: kex as Algorithms['kex'],
    serverHostKey: hostKey as Algorithms['serverHostKey'],
    cipher: checked('GATEHOUSE_SSH_CIPHERS', config.sshCiphers, DEFAULT_CIPHERS, supported.SUPPORTED_CIPHER) as Algorithms['cipher'],
    hmac: checked('GATEHOUSE_SSH_MACS', config.sshMacs, DEFAULT_MACS, supported.SUPPORTED_MAC) as Algorithms['hmac'],
    compress: checked('GATEHOUSE_SSH_COMPRESSION', config.sshCompression, DEFAULT_COMPRESSION, supported.SUPPORTED_COMPRESSION) as Algorithms['compress'],
  };
}
