// Connections not yet logged in: at most N per source address, each closed if it is not logged
// in within the handshake timeout. Both count from TCP accept, not from ssh2's 'connection' event,
// which fires only once the client has sent its identification line: a client that connects and
// sends nothing (or half a line) would otherwise be held forever and never counted.
import net from 'node:net';

export interface AdmissionLimits {
  maxPerAddress: number;
  timeoutMs: number;
}

/** One admitted connection until it logs in or closes. */
export interface Ticket {
  /** The client logged in: it no longer counts against its address, and its deadline is lifted. */
  loggedIn(): void;
  /**
   * A stranger's key verified (sign-up, or the "sign-up is closed" message, follows): it still
   * counts against its address, with a new deadline long enough to type a name.
   */
  stranger(ms: number): void;
  socket: net.Socket;
}

export class Admission {
  private readonly pending = new Map<string, number>();
  private readonly tickets = new Map<string, Ticket>();

  constructor(private readonly limits: AdmissionLimits) {}

  /** At TCP accept: false when the address is at its limit (the socket is already destroyed). */
  admit(socket: net.Socket): boolean {
    const address = addressKey(socket.remoteAddress);
    const count = this.pending.get(address) ?? 0;
    if (count >= this.limits.maxPerAddress) {
      socket.destroy();
      return false;
    }
    this.pending.set(address, count + 1);
    const id = connectionId(socket.remoteAddress, socket.remotePort);
    let timer = setTimeout(() => socket.destroy(), this.limits.timeoutMs);
    let counted = true;
    const release = () => {
      clearTimeout(timer);
      this.tickets.delete(id);
      if (!counted) return;
      counted = false;
      const left = (this.pending.get(address) ?? 1) - 1;
      if (left > 0) this.pending.set(address, left);
      else this.pending.delete(address);
    };
    const stranger = (ms: number) => {
      clearTimeout(timer);
      if (counted) timer = setTimeout(() => socket.destroy(), ms);
    };
    this.tickets.set(id, { loggedIn: release, stranger, socket });
    socket.once('close', release);
    return true;
  }

  /** The ticket of a live connection, by what ssh2 tells its 'connection' listener (ip and port). */
  ticket(ip: string | undefined, port: number | undefined): Ticket | undefined {
    return this.tickets.get(connectionId(ip, port));
  }

  /** At shutdown: every connection not yet logged in is closed (logged-in ones get a goodbye). */
  closeAll(): void {
    for (const t of [...this.tickets.values()]) t.socket.destroy();
  }

  /** Connections not yet logged in, all addresses together (for tests and metrics). */
  get size(): number {
    return this.tickets.size;
  }
}

function connectionId(ip: string | undefined, port: number | undefined): string {
  return `${ip ?? '?'}|${port ?? '?'}`;
}

/**
 * The address a limit is kept for. An IPv4 client seen through a dual-stack socket is its IPv4
 * address; an IPv6 client is its /64, since anyone holding one address holds its whole /64.
 */
export function addressKey(ip: string | undefined): string {
  if (!ip) return 'unknown';
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped) return mapped[1];
  if (!net.isIPv6(ip)) return ip;
  return `${expandIPv6(ip).slice(0, 4).join(':')}::/64`;
}

/** The eight 16-bit groups of an IPv6 address, as hex without leading zeros. */
function expandIPv6(ip: string): string[] {
  const bare = ip.split('%')[0]; // zone index
  const [head, tail] = bare.includes('::') ? bare.split('::') : [bare, undefined];
  const groups = (part: string | undefined) => (part ? part.split(':') : []);
  let left = groups(head);
  let right = groups(tail);
  // An embedded IPv4 tail (::1.2.3.4) is two groups; only the first four groups matter here anyway.
  const last = (tail === undefined ? left : right).at(-1);
  if (last?.includes('.')) {
    const [a, b, c, d] = last.split('.').map(Number);
    const hex = [((a << 8) | b).toString(16), ((c << 8) | d).toString(16)];
    if (tail === undefined) left = [...left.slice(0, -1), ...hex];
    else right = [...right.slice(0, -1), ...hex];
  }
  const fill = tail === undefined ? [] : Array<string>(8 - left.length - right.length).fill('0');
  return [...left, ...fill, ...right].map((g) => parseInt(g, 16).toString(16));
}
