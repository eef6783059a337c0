// The caller's TCP source address in the canonical form VMs are stored in. The common cases
// (plain IPv4, IPv4-mapped IPv6) take the fast path; this runs on every gateway request.
import { canonicalAddress } from './address.js';

const MAPPED = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i;

export function sourceAddress(remote: string | undefined): string | undefined {
  if (!remote) return undefined;
  if (remote.indexOf(':') === -1) return remote;
  const m = MAPPED.exec(remote);
  return m ? m[1] : canonicalAddress(remote);
}
