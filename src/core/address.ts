// VM network addresses: canonical text forms (so lookups by source address are exact)
// and allocation of the next free IPv4 address from the configured pool.
import net from 'node:net';
import { GatehouseError } from '../errors.js';
import { shown } from './names.js';

/** Canonical form: dotted IPv4 (IPv4-mapped IPv6 unwrapped) or compressed lowercase IPv6; undefined if not an IP. */
export function canonicalAddress(text: string): string | undefined {
  const raw = text.trim().replace(/^\[|\]$/g, '');
  // A zone id (fe80::1%eth0) names an interface of one host, not an address; WHATWG URL also throws on it.
  if (raw.includes('%')) return undefined;
  const kind = net.isIP(raw);
  if (kind === 4) return raw.split('.').map((o) => String(Number(o))).join('.');
  if (kind !== 6) return undefined;
  const host = new URL(`http://[${raw}]/`).hostname.slice(1, -1); // WHATWG URL compresses and lowercases
  const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(host);
  if (mapped) {
    const hi = parseInt(mapped[1], 16);
    const lo = parseInt(mapped[2], 16);
    return [hi >> 8, hi & 255, lo >> 8, lo & 255].join('.');
  }
  return host;
}

/** Addresses no VM can send from: "this network" 0/8, multicast, limited broadcast, IPv6 unspecified and multicast. */
function neverASource(canonical: string): boolean {
  if (net.isIPv4(canonical)) {
    const first = Number(canonical.split('.')[0]);
    return first === 0 || (first >= 224 && first <= 239) || canonical === '255.255.255.255';
  }
  return canonical === '::' || /^ff[0-9a-f]{2}:/.test(canonical);
}

export function checkAddress(text: string): string {
  const canonical = canonicalAddress(text);
  if (!canonical) throw new GatehouseError('invalid_input', `invalid address "${shown(text)}": expected an IPv4 or IPv6 address such as 10.42.0.7`);
  if (neverASource(canonical)) {
    throw new GatehouseError('invalid_input', `invalid address "${canonical}": unspecified, multicast and broadcast addresses cannot identify a VM`);
  }
  return canonical;
}

export interface Pool {
  first: number; // first usable address as a 32-bit integer
  last: number;
}

export function parsePool(cidr: string): Pool {
  const m = /^(\d+\.\d+\.\d+\.\d+)\/(\d+)$/.exec(cidr.trim());
  const bits = m ? Number(m[2]) : NaN;
  if (!m || net.isIPv4(m[1]) === false || bits < 8 || bits > 30) {
    throw new GatehouseError('config', `GATEHOUSE_VM_POOL: "${cidr}" must be an IPv4 CIDR between /8 and /30, e.g. 10.42.0.0/16`);
  }
  const base = toInt(m[1]) & (bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0);
  const size = 2 ** (32 - bits);
  return { first: (base + 1) >>> 0, last: (base + size - 2) >>> 0 }; // skip network and broadcast addresses
}

export function nextFreeAddress(pool: Pool, taken: Set<string>): string {
  for (let n = pool.first; n <= pool.last; n++) {
    const candidate = fromInt(n);
    if (!taken.has(candidate)) return candidate;
  }
  throw new GatehouseError('conflict', 'the VM address pool is exhausted', { hint: 'give an address with --address, or ask the operator to widen GATEHOUSE_VM_POOL' });
}

function toInt(ip: string): number {
  return ip.split('.').reduce((acc, o) => ((acc << 8) | Number(o)) >>> 0, 0);
}

function fromInt(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}
