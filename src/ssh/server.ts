// The SSH listener: admits connections (limits before login: admission.ts), authenticates keys,
// hands sessions to session.ts within the per-user limit, and on stop tells every open session
// goodbye before closing. We own the TCP listener and hand each socket to ssh2 (injectSocket), so
// the pre-login limits see a connection from its first byte, not from its SSH identification line.
import net from 'node:net';
import ssh2 from 'ssh2';
import type { Connection, ParsedKey, Session } from 'ssh2';
import type { ListenAddress } from '../config.js';
import { GatehouseError } from '../errors.js';
import { touchKey } from '../db/sshKeys.js';
import { Admission } from './admission.js';
import { offeredHostKeys, serverAlgorithms } from './algorithms.js';
import { authenticate, type AuthAttempts, type Identity } from './auth.js';
import { AuthThrottle } from './authThrottle.js';
import type { SshDeps } from './deps.js';
import { KeyTouches } from './keyTouches.js';
import { LazyAbort } from './lazyAbort.js';
import { handleSession, type ActiveSession } from './session.js';
import { refuseSession, SessionCounter } from './sessionLimit.js';
import { within } from '../core/within.js';

/** How long stop() lets running commands finish before the caller closes the database. */
const DRAIN_MS = 5_000;
const CLOSE_MS = 3_000;
/** As OpenSSH's MaxSessions: ControlMaster multiplexes every `ssh HOST CMD` over one connection. */
const MAX_SESSIONS_PER_CONNECTION = 10;
/** A stranger (no account yet) has this long from login to finish sign-up; the connection is closed after. */
const SIGNUP_MS = 10 * 60_000;

export interface SshServer {
  port: number;
  /** Sessions open now (the metrics' gauge, read at scrape time). */
  readonly openSessions: number;
  /** Says goodbye to every session and waits (bounded) for running commands: then the database may close. */
  stop(): Promise<void>;
}

export async function startSshServer(deps: SshDeps, hostKeys: ParsedKey[], listen: ListenAddress): Promise<SshServer> {
  const { config } = deps;
  const clients = new Set<Connection>();
  const sessions = new Set<ActiveSession>();
  const admission = new Admission({ maxPerAddress: config.sshMaxUnauthenticatedPerAddress, timeoutMs: config.sshHandshakeTimeoutMs });
  const throttle = new AuthThrottle({ freeFailures: config.sshAuthFreeFailures, delayMs: config.sshAuthDelayMs });
  const perUser = new SessionCounter(config.sshMaxSessionsPerUser);
  const touches = new KeyTouches();
  let stopping = false;

  const algorithms = serverAlgorithms(config, hostKeys);
  const server = new ssh2.Server({ hostKeys: offeredHostKeys(hostKeys, algorithms).map((key) => ({ key })), ident: 'gatehouse', algorithms }, (client: Connection, info) => {
    clients.add(client);
    // Small request/reply packets: without TCP_NODELAY, Nagle and delayed ACKs add tens of ms per exchange.
    (client as unknown as { setNoDelay(on: boolean): void }).setNoDelay(true);
    const ticket = admission.ticket(info.ip, info.port);
    const attempts: AuthAttempts = { ip: info.ip, signupOpen: config.signup === 'open', throttle, metrics: deps.services.metrics };
    let identity: Identity | undefined;
    client.on('authentication', (ctx) => {
      if (stopping) return void ctx.reject();
      authenticate(deps.db, ctx, attempts, (id) => (identity = id)).catch((err) => {
        deps.log.error('authentication failed', err);
        ctx.reject();
      });
    });
    client.on('ready', () => {
      const id = identity;
      if (!id || stopping) return void client.end();
      // A stranger (an unknown key: sign-up, or the "closed" message) is not logged in yet: it keeps
      // counting against its address, or any key that signs would hold connections without limit.
      if (id.account) ticket?.loggedIn();
      else {
        ticket?.stranger(SIGNUP_MS);
        id.signedUp = () => ticket?.loggedIn();
      }
      // A stranger where sign-up is closed was counted refused at authentication (auth.ts).
      if (id.account || attempts.signupOpen) deps.services.metrics.sshLogin(id.account ? 'ok' : 'signup');
      if (id.account && touches.due(id.account.keyId)) touchKey(deps.db, id.account.keyId).catch((err) => deps.log.error('touching key failed', err));
      serveSessions(client, id, perUser, () => stopping, (session, gone) =>
        handleSession(deps, { ...id, address: info.ip ?? null }, session, gone, (s) => {
          sessions.add(s);
          void s.done.finally(() => sessions.delete(s));
        }),
      );
    });
    // A client that vanishes mid-handshake or mid-command must not take the server down.
    client.on('error', () => {});
    client.on('close', () => clients.delete(client));
  });
  // ssh2's own listener is never used: it would see the socket only once the client speaks.
  const listener = net.createServer((socket) => {
    if (stopping || !admission.admit(socket)) return void socket.destroy();
    server.injectSocket(socket);
  });
  await new Promise<void>((resolve, reject) => {
    const refused = (err: NodeJS.ErrnoException) =>
      reject(new GatehouseError('config', `GATEHOUSE_SSH_LISTEN: cannot listen on ${listen.host}:${listen.port} (${err.code ?? err.message})`, { cause: err }));
    listener.once('error', refused);
    listener.listen(listen.port, listen.host, () => {
      listener.off('error', refused);
      resolve();
    });
  });
  listener.on('error', (err: Error) => deps.log.error('ssh server error', err));
  const port = (listener.address() as net.AddressInfo).port;

  return {
    port,
    get openSessions() {
      return sessions.size;
    },
    async stop() {
      stopping = true; // no new logins or sessions, not even on connections already open
      const closed = new Promise<void>((resolve) => listener.close(() => resolve()));
      const running = [...sessions];
      for (const s of running) s.close('gatehouse is shutting down; goodbye.');
      // A command still running may use the database, which the caller closes once we return.
      await within(Promise.allSettled(running.map((s) => s.done)), DRAIN_MS);
      for (const c of clients) c.end();
      admission.closeAll();
      await within(closed, CLOSE_MS);
    },
  };
}

/** Accepts the connection's session channels within both limits: open at once on it, and the user's over all. */
function serveSessions(client: Connection, id: Identity, perUser: SessionCounter, stopping: () => boolean, serve: (session: Session, gone: LazyAbort) => void): void {
  let count = 0;
  const open = new Set<() => void>();
  // ssh2 emits a Session's 'close' only on the client's CHANNEL_CLOSE, not when the connection
  // drops: the connection's close releases what is left (each release runs once), and tells the
  // session its client is gone (a command waiting on something else must stop, not wait on).
  client.on('close', () => {
    for (const closed of [...open]) closed();
  });
  client.on('session', (accept, reject) => {
    // A limit on sessions open at once, not over the connection's life.
    if (count >= MAX_SESSIONS_PER_CONNECTION || stopping()) return void reject();
    const release = perUser.take(id);
    const session = accept();
    const gone = new LazyAbort();
    const closed = () => {
      if (!open.delete(closed)) return;
      count--;
      release?.();
      gone.abort('the client disconnected');
    };
    count++;
    open.add(closed);
    session.once('close', closed);
    if (release) serve(session, gone);
    else refuseSession(session, perUser.tooMany());
  });
}
