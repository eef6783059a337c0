// The SSH listener: accepts connections, authenticates keys, hands sessions to session.ts,
// and on stop tells every open session goodbye before closing.
import ssh2 from 'ssh2';
import type { Connection } from 'ssh2';
import type { AddressInfo } from 'node:net';
import type { ListenAddress } from '../config.js';
import { GatehouseError } from '../errors.js';
import { touchKey } from '../db/sshKeys.js';
import { authenticate, type Identity } from './auth.js';
import type { SshDeps } from './deps.js';
import { handleSession, type ActiveSession } from './session.js';

const AUTH_TIMEOUT_MS = 60_000;
const MAX_SESSIONS_PER_CONNECTION = 10;

export interface SshServer {
  port: number;
  stop(): Promise<void>;
}

export async function startSshServer(deps: SshDeps, hostKeys: Buffer[], listen: ListenAddress): Promise<SshServer> {
  const clients = new Set<Connection>();
  const sessions = new Set<ActiveSession>();

  const server = new ssh2.Server({ hostKeys, ident: 'gatehouse' }, (client: Connection) => {
    clients.add(client);
    let identity: Identity | undefined;
    let sessionCount = 0;
    const authTimer = setTimeout(() => client.end(), AUTH_TIMEOUT_MS);
    client.on('authentication', (ctx) => {
      authenticate(deps.db, ctx, (id) => (identity = id)).catch((err) => {
        deps.log.error('authentication failed', err);
        ctx.reject();
      });
    });
    client.on('ready', () => {
      clearTimeout(authTimer);
      const id = identity;
      if (!id) return void client.end();
      if (id.account) touchKey(deps.db, id.account.keyId).catch((err) => deps.log.error('touching key failed', err));
      client.on('session', (accept, reject) => {
        // A limit on sessions open at once, not over the connection's life: OpenSSH's ControlMaster
        // runs every later `ssh HOST CMD` as a new session on one long-lived connection.
        if (sessionCount >= MAX_SESSIONS_PER_CONNECTION) return void reject();
        sessionCount++;
        const session = accept();
        session.once('close', () => sessionCount--);
        handleSession(deps, id, session, (s) => {
          sessions.add(s);
          return () => {
            sessions.delete(s);
          };
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
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const s of sessions) s.close('gatehouse is shutting down; goodbye.');
      for (const c of clients) c.end();
      await Promise.race([closed, new Promise((r) => setTimeout(r, 3000).unref())]);
    },
  };
}
