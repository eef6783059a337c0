// ssh2 signs and verifies by handing OpenSSL a PEM string, which it parses anew at every call:
// about 0.5 ms to sign with an ed25519 key instead of 0.05 ms with a KeyObject made once. Every
// SSH connection costs one host-key signature and one client-key verification, so these two
// are the bulk of a connection's CPU. Here the same operations run on cached KeyObjects.
import { createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import ssh2 from 'ssh2';
import type { ParsedKey } from 'ssh2';

const { utils } = ssh2;

/** The hash each key type signs with when the protocol names none (RSA names sha256/sha512). */
function defaultHash(type: string): string | null {
  if (type === 'ssh-rsa' || type === 'ssh-dss') return 'sha1';
  if (type === 'ecdsa-sha2-nistp256') return 'sha256';
  if (type === 'ecdsa-sha2-nistp384') return 'sha384';
  if (type === 'ecdsa-sha2-nistp521') return 'sha512';
  return null; // ed25519 hashes internally
}

/**
 * Parses a private key (a host key, or the bench client's key) and makes its `sign` use a
 * KeyObject. Errors come back as ssh2's own `sign` returns them: as a value, not thrown.
 */
export function fastSigningKey(text: Buffer | string): ParsedKey | Error {
  const parsed = utils.parseKey(text);
  if (parsed instanceof Error || !parsed.isPrivateKey()) return parsed;
  const privateKey = createPrivateKey(parsed.getPrivatePEM());
  const hash = defaultHash(parsed.type);
  parsed.sign = (data: Buffer | string, algo?: string): Buffer => {
    try {
      return sign(algo ?? hash, Buffer.from(data), privateKey);
    } catch (err) {
      return err as Buffer; // ssh2 checks `instanceof Error`
    }
  };
  return parsed;
}

/** Public keys of recent logins: a user reconnects with the same few keys. */
const MAX_CACHED = 1024;
const publicKeys = new Map<string, { key: KeyObject; hash: string | null }>();

function publicKeyOf(text: string): { key: KeyObject; hash: string | null } | undefined {
  let entry = publicKeys.get(text);
  if (entry) {
    publicKeys.delete(text); // re-inserted below: the Map's order is recency
  } else {
    const parsed = utils.parseKey(text);
    if (parsed instanceof Error) return undefined;
    try {
      // OpenSSL refuses what ssh2 parses but cannot be a key (an ECDSA point off its curve).
      entry = { key: createPublicKey(parsed.getPublicPEM()), hash: defaultHash(parsed.type) };
    } catch {
      return undefined;
    }
    if (publicKeys.size >= MAX_CACHED) publicKeys.delete(publicKeys.keys().next().value!);
  }
  publicKeys.set(text, entry);
  return entry;
}

/**
 * Verifies a client's signature (already converted to OpenSSL's form by ssh2) with the public
 * key given as "type base64". False for a key that does not parse or a signature that fails.
 */
export function verifySignature(keyText: string, data: Buffer, signature: Buffer, hashAlgo?: string): boolean {
  const entry = publicKeyOf(keyText);
  if (!entry) return false;
  try {
    return verify(hashAlgo ?? entry.hash, data, entry.key, signature);
  } catch {
    return false;
  }
}
