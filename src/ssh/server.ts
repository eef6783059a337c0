// The SSH listener: accepts connections, authenticates keys, hands sessions to session.ts,
// and on stop tells every open session goodbye before closing.
import ssh2 from 'ssh2';
import type { Connection, ParsedKey } from 'ssh2';
import type { AddressInfo } from 'node:net';
import type { ListenAddress } from '../config.js';
import { GatehouseError } from '../errors.js';
import { touchKey } from '../db/sshKeys.js';
import { authenticate, type Identity } from './auth.js';
import type { SshDeps } from './deps.js';
import { handleSession, type ActiveSession } from './session.js';

const AUTH_TIMEOUT_MS = 60_000;
/** How long stop() lets running commands finish before the caller closes the database. */
const DRAIN_MS = 5_000;
const CLOSE_MS = 3_000;
const MAX_SESSIONS_PER_CONNECTION = 10;

export interface SshServer {
  port: number;
  /** Says goodbye to every session and waits (bounded) for running commands: then the database may close. */
  stop(): Promise<void>;
}

export async function startSshServer(deps: SshDeps, hostKeys: ParsedKey[], listen: ListenAddress): Promise<SshServer> {
  const clients = new Set<Connection>();
  const sessions = new Set<ActiveSession>();
  let stopping = false;

  const server = new ssh2.Server({ hostKeys: hostKeys.map((key) => ({ key })), ident: 'gatehouse' }, (client: Connection) => {
    clients.add(client);
    // Small request/reply packets: without TCP_NODELAY, Nagle and delayed ACKs add tens of ms per exchange.
    (client as unknown as { setNoDelay(on: boolean): void }).setNoDelay(true);
    let identity: Identity | undefined;
    let sessionCount = 0;
    const authTimer = setTimeout(() => client.end(), AUTH_TIMEOUT_MS);
    client.on('authentication', (ctx) => {
      if (stopping) return void ctx.reject();
      authenticate(deps.db, ctx, (id) => (identity = id)).catch((err) => {
        deps.log.error('authentication failed', err);
        ctx.reject();
      });
    });
    client.on('ready', () => {
      clearTimeout(authTimer);
      const id = identity;
      if (!id || stopping) return void client.end();
      if (id.account) touchKey(deps.db, id.account.keyId).catch((err) => deps.log.error('touching key failed', err));
      client.on('session', (accept, reject) => {
        // A limit on sessions open at once, not over the connection's life: OpenSSH's ControlMaster
        // runs every later `ssh HOST CMD` as a new session on one long-lived connection.
        if (sessionCount >= MAX_SESSIONS_PER_CONNECTION || stopping) return void reject();
        sessionCount++;
        const session = accept();
        session.once('close', () => sessionCount--);
        handleSession(deps, id, session, (s) => {
          sessions.add(s);
          void s.done.finally(() => sessions.delete(s));
        });
      });
    });
    // A client that vanishes mid-handshake or mid-command must not take the server down.
    client.on('error', () => {});
    client.on('close', () => {
      clearTimeout(authTimer);
      clients.delete(client);
    });
  });
  await new Promise<void>((resolve, reject) => {
    const refused = (err: NodeJS.ErrnoException) =>
      reject(new GatehouseError('config', `GATEHOUSE_SSH_LISTEN: cannot listen on ${listen.host}:${listen.port} (${err.code ?? err.message})`, { cause: err }));
    server.once('error', refused);
    server.listen(listen.port, listen.host, () => {
      server.off('error', refused);
      resolve();
    });
  });
  server.on('error', (err: Error) => deps.log.error('ssh server error', err));
  const port = (server.address() as AddressInfo).port;

  return {
    port,
    async stop() {
      stopping = true; // no new logins or sessions, not even on connections already open
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      const running = [...sessions];
      for (const s of running) s.close('gatehouse is shutting down; goodbye.');
      // A command still running may use the database, which the caller closes once we return.
      await within(Promise.allSettled(running.map((s) => s.done)), DRAIN_MS);
      for (const c of clients) c.end();
      await within(closed, CLOSE_MS);
    },
  };
}

function within(promise: Promise<unknown>, ms: number): Promise<unknown> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise((resolve) => (timer = setTimeout(resolve, ms)));
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}
