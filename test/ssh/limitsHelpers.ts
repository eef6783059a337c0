// Clients for the SSH limit tests: each from a chosen local address (127.0.0.x), since the
// limits are kept per source address; every wait has a deadline.
import net from 'node:net';
import ssh2 from 'ssh2';
import { execOn, type ExecResult, type KeyPair } from '../helpers/ssh.js';

export const DEADLINE_MS = 10_000;

export function within<T>(promise: Promise<T>, what: string, ms = DEADLINE_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`deadline: ${what}`)), ms)));
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

/** Logs in from `from` with ssh2's client. */
export function login(port: number, key: KeyPair, from: string): Promise<ssh2.Client> {
  return within(
    new Promise((resolve, reject) => {
      const client = new ssh2.Client();
      client.on('ready', () => resolve(client)).on('error', reject);
      client.connect({ host: '127.0.0.1', port, localAddress: from, username: 'test', privateKey: key.private, readyTimeout: DEADLINE_MS });
    }),
    `login from ${from}`,
  );
}

/** Runs one command on an open connection. */
export const run = (client: ssh2.Client, command: string): Promise<ExecResult> => execOn(client, command);

/** Logs in from `from`, runs `command`, logs out. */
export async function execFrom(port: number, key: KeyPair, from: string, command: string): Promise<ExecResult> {
  const client = await login(port, key, from);
  try {
    return await run(client, command);
  } finally {
    client.end();
  }
}

/** A raw TCP connection from `from`: what the server sent, and a promise of its close. */
export interface RawConnection {
  socket: net.Socket;
  received(): string;
  /** Resolves when the server closed it. */
  closed: Promise<void>;
  /** Resolves with the first bytes the server sends (its identification line when admitted). */
  firstData: Promise<string>;
}

export function rawConnect(port: number, from: string): Promise<RawConnection> {
  return within(
    new Promise((resolve, reject) => {
      const socket = net.connect({ port, host: '127.0.0.1', localAddress: from });
      let text = '';
      const closed = new Promise<void>((r) => socket.once('close', () => r()));
      const firstData = new Promise<string>((r) => socket.once('data', (d: Buffer) => r(d.toString())));
      socket.on('data', (d: Buffer) => (text += d));
      socket.on('error', () => {});
      socket.once('connect', () => resolve({ socket, received: () => text, closed, firstData }));
      socket.once('error', reject);
    }),
    `TCP connect from ${from}`,
  );
}

/**
 * Fails `count` password logins in a row on one connection from `from` (after the client's free
 * "none" probe) and reports how long each refusal took. `onSent(i)` runs as attempt i goes out.
 */
export function failPasswords(port: number, from: string, count: number, onSent: (i: number) => void = () => {}): Promise<number[]> {
  return within(
    new Promise((resolve) => {
      const took: number[] = [];
      let sentAt = 0;
      const client = new ssh2.Client();
      const finish = () => {
        client.end();
        resolve(took);
      };
      client.on('error', finish);
      client.on('close', finish);
      client.connect({
        host: '127.0.0.1',
        port,
        localAddress: from,
        username: 'mallory',
        readyTimeout: DEADLINE_MS * 3,
        authHandler: (methodsLeft, _partial, next) => {
          if (methodsLeft === null) return next({ type: 'none', username: 'mallory' });
          if (sentAt) took.push(performance.now() - sentAt);
          if (took.length === count) return next(false as never);
          sentAt = performance.now();
          onSent(took.length);
          return next({ type: 'password', username: 'mallory', password: `guess${took.length}` });
        },
      });
    }),
    `failing logins from ${from}`,
    DEADLINE_MS * 3,
  );
}
