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

/**
 * Reads exactly `count` SSH wire-format strings (uint32 length + bytes) from a key blob. Trailing
 * bytes are refused: they would give the same key a second fingerprint that can never log in.
 */
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
  if (at !== blob.length) throw new Error('trailing bytes');
  return out;
}

/** Bits of an SSH mpint: counted exactly, since a leading 0x01 byte is not 8 bits. */
function mpintBits(n: Buffer): number {
  let i = 0;
  while (i < n.length && n[i] === 0) i++;
  return i === n.length ? 0 : (n.length - i - 1) * 8 + (32 - Math.clz32(n[i]));
}

/** Uncompressed point sizes (0x04 || X || Y) of the accepted curves. */
const ECDSA_POINT: Record<string, number> = { nistp256: 65, nistp384: 97, nistp521: 133 };

/** Checks a raw key blob against the policy; returns its type or throws. */
function unsupported(why: string): GatehouseError {
  return new GatehouseError('invalid_input', `unsupported SSH key: ${why}`, { hint: 'use an ed25519 key (ssh-keygen -t ed25519), ecdsa, or rsa of at least 2048 bits' });
}

export function checkKeyBlob(blob: Buffer): string {
  const invalid = unsupported;
  let type: string;
  try {
    if (blob.length < 4) throw new Error('truncated');
    type = blob.subarray(4, 4 + blob.readUInt32BE(0)).toString('latin1');
    if (type === 'ssh-ed25519') {
      if (readStrings(blob, 2)[1].length !== 32) throw invalid('bad ed25519 key length');
    } else if (type === 'ssh-rsa') {
      const [, , n] = readStrings(blob, 3);
      const bits = mpintBits(n);
      if (bits < 2048) throw invalid(`rsa key of ${bits} bits is too short`);
    } else if (ECDSA.has(type)) {
      const [, curve, point] = readStrings(blob, 3);
      const name = curve.toString('latin1');
      if (`ecdsa-sha2-${name}` !== type || point.length !== ECDSA_POINT[name] || point[0] !== 4) throw invalid('bad ecdsa key data');
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
  const notAKey = (why: string) => new GatehouseError('invalid_input', `not an OpenSSH public key: ${why}`, { hint: 'paste the contents of your ~/.ssh/id_ed25519.pub' });
  // Never echo any of a private key back: it is a secret the user should not have sent.
  if (/PRIVATE KEY/.test(text)) throw notAKey('this is a PRIVATE key; keep it secret and send the .pub file instead');
  if (text.trim().split(/\r?\n/).length > 1) throw notAKey('give one key at a time, on one line');
  const fields = text.trim().split(/\s+/);
  if (fields.length < 2 || text.length > 16_384) throw notAKey('expected "ssh-ed25519 AAAA… [comment]"');
  const [type, b64, ...rest] = fields;
  if (type !== 'ssh-ed25519' && type !== 'ssh-rsa' && !ECDSA.has(type)) {
    // A real but refused type (ssh-dss, sk-…@openssh.com) deserves a different answer than prose.
    if (/^(ssh|ecdsa|sk)-[a-z0-9@.-]+$/.test(type)) throw unsupported(`key type "${type.slice(0, 40)}" is not accepted`);
    throw notAKey('expected "ssh-ed25519 AAAA… [comment]"');
  }
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) throw notAKey('the key data is not base64');
  const blob = Buffer.from(b64, 'base64');
  const inner = checkKeyBlob(blob);
  if (inner !== type) throw notAKey(`it says "${type.slice(0, 40)}" but holds a ${inner} key`);
  return { type, blob, comment: rest.join(' '), text: `${type} ${blob.toString('base64')}`, fingerprint: fingerprintOf(blob) };
}
