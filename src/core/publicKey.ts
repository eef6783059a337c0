// OpenSSH public keys: parse "type base64 [comment]", check the key policy of DESIGN.md §3
// (ed25519, ecdsa, rsa ≥ 2048) and compute the SHA256 fingerprint exactly as `ssh-keygen -l` prints it.
import crypto from 'node:crypto';
import { GatehouseError } from '../errors.js';

export interface PublicKey {
  type: string;
  blob: Buffer;
  comment: string;
  /** "type base64": what we store; the comment is kept apart. */
  text: string;
  fingerprint: string;
}

const ECDSA = new Set(['ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521']);

export function fingerprintOf(blob: Buffer): string {
  return 'SHA256:' + crypto.createHash('sha256').update(blob).digest('base64').replace(/=+$/, '');
}

/** Reads SSH wire-format strings (uint32 length + bytes) from a key blob. */
function readStrings(blob: Buffer, count: number): Buffer[] {
  const out: Buffer[] = [];
  let at = 0;
  for (let i = 0; i < count; i++) {
    if (at + 4 > blob.length) throw new Error('truncated');
    const len = blob.readUInt32BE(at);
    if (at + 4 + len > blob.length) throw new Error('truncated');
    out.push(blob.subarray(at + 4, at + 4 + len));
    at += 4 + len;
  }
  return out;
}

/** Checks a raw key blob against the policy; returns its type or throws. */
export function checkKeyBlob(blob: Buffer): string {
  const invalid = (why: string) => new GatehouseError('invalid_input', `unsupported SSH key: ${why}`, { hint: 'use an ed25519 key (ssh-keygen -t ed25519), ecdsa, or rsa of at least 2048 bits' });
  let type: string;
  try {
    type = readStrings(blob, 1)[0].toString('latin1');
    if (type === 'ssh-ed25519') {
      if (readStrings(blob, 2)[1].length !== 32) throw invalid('bad ed25519 key length');
    } else if (type === 'ssh-rsa') {
      const [, , n] = readStrings(blob, 3);
      const bits = (n.length - (n[0] === 0 ? 1 : 0)) * 8;
      if (bits < 2048) throw invalid(`rsa key of ${bits} bits is too short`);
    } else if (ECDSA.has(type)) {
      readStrings(blob, 3);
    } else {
      throw invalid(`key type "${type.slice(0, 40)}" is not accepted`);
    }
  } catch (err) {
    if (err instanceof GatehouseError) throw err;
    throw invalid('the key data is malformed');
  }
  return type;
}

export function parsePublicKey(text: string): PublicKey {
  const fields = text.trim().split(/\s+/);
  if (fields.length < 2 || text.length > 16_384) {
    throw new GatehouseError('invalid_input', 'not an OpenSSH public key: expected "ssh-ed25519 AAAA… [comment]"', { hint: 'paste the contents of your ~/.ssh/id_ed25519.pub' });
  }
  const [type, b64, ...rest] = fields;
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) throw new GatehouseError('invalid_input', 'not an OpenSSH public key: the key data is not base64');
  const blob = Buffer.from(b64, 'base64');
  const inner = checkKeyBlob(blob);
  if (inner !== type) throw new GatehouseError('invalid_input', `not an OpenSSH public key: it says "${type.slice(0, 40)}" but holds a ${inner} key`);
  return { type, blob, comment: rest.join(' '), text: `${type} ${blob.toString('base64')}`, fingerprint: fingerprintOf(blob) };
}
