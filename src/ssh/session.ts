// One SSH session channel: collects pty/env/window-change, then runs either one command (exec)
// or the interactive prompt (shell). Both go through the same shell runner.
import type { ServerChannel, Session } from 'ssh2';
import { findUserById } from '../db/users.js';
import { asPublicError } from '../errors.js';
import { Output } from '../shell/output.js';
import { UNUSED_NOTES } from '../shell/commandRecord.js';
import { runLine } from '../shell/run.js';
import type { CommandContext, InputSource } from '../shell/types.js';
import type { Identity } from './auth.js';
import { channelSink, flushChannel, readToEnd } from './channel.js';
import type { SshDeps } from './deps.js';
import { interruptible, watchSignal } from './interrupt.js';
import { LazyAbort } from './lazyAbort.js';
import { runInteractive } from './terminal.js';
import { TypedLines } from './typedLines.js';

/** The verified identity, and the client's address (the audit log's and the command log's). */
export type SessionIdentity = Identity & { address: string | null };

export interface PtyInfo {
  cols: number;
  rows: number;
  term: string;
}

export interface ActiveSession {
  /** Ends the session politely (server shutdown); a command waiting for input is cancelled. */
  close(reason: string): void;
  /** Settles when the session's work is over: no command of it still runs (or uses the database). */
  done: Promise<void>;
}

/** `gone` aborts when the client closes the session or drops the connection. */
export function handleSession(deps: SshDeps, identity: SessionIdentity, session: Session, gone: LazyAbort, track: (s: ActiveSession) => void): void {
  let pty: PtyInfo | undefined;
  const env: Record<string, string> = {};
  let onResize: ((cols: number, rows: number) => void) | undefined;

  session.on('pty', (accept, _reject, info) => {
    pty = { cols: info.cols || 80, rows: info.rows || 24, term: info.term };
    accept?.();
  });
  session.on('window-change', (accept, _reject, info) => {
    if (pty) Object.assign(pty, { cols: info.cols, rows: info.rows });
    onResize?.(info.cols, info.rows);
    accept?.();
  });
  session.on('env', (accept, _reject, info) => {
    if (Object.keys(env).length < 64) env[String(info.key).slice(0, 64)] = String(info.val).slice(0, 1024);
    accept?.();
  });
  for (const unsupported of ['x11', 'auth-agent', 'subsystem', 'signal'] as const) {
    session.on(unsupported as 'x11', (_accept: unknown, reject: (() => void) | undefined) => reject?.());
  }
  session.on('exec', (accept, _reject, info) => {
    const channel = accept();
    const crlf = Boolean(pty);
    const abort = new LazyAbort();
    const out = new Output(channelSink(channel, crlf), { color: crlf && !('NO_COLOR' in env), prettyJson: false });
    let combined: AbortSignal | undefined;
    const signal = () => (combined ??= AbortSignal.any([abort.signal, gone.signal])); // lazyAbort.ts: most commands never ask
    const done = runExec(deps, identity, channel, out, info.command, pty, signal).then(
      (status) => finish(channel, status),
      (err) => {
        deps.log.error('exec session failed', err);
        out.failure(asPublicError(err)); // rendered like any refusal, never the error itself
        finish(channel, 1);
      },
    );
    const close = (reason: string) => {
      finish(channel, 1, reason, crlf);
      abort.abort('gatehouse is shutting down'); // the command must not go on with input cut short
    };
    track({ close, done });
  });
  session.on('shell', (accept) => {
    const channel = accept();
    const color = Boolean(pty) && !('NO_COLOR' in env);
    const terminal = runInteractive(deps, identity, channel, pty, color, gone.signal);
    onResize = terminal.resize;
    track(terminal);
  });
}

/** Ends an exec session with its status, after a last message on stderr (CR LF under a PTY). */
export function finish(channel: ServerChannel, status: number, message?: string, pty = false): void {
  if (channel.destroyed || !channel.writable) return;
  if (message) channelSink(channel, pty)('stderr', message + '\n');
  flushChannel(channel);
  channel.exit(status);
  channel.end();
}

async function runExec(deps: SshDeps, identity: SessionIdentity, channel: ServerChannel, out: Output, command: string, pty: PtyInfo | undefined, signal: () => AbortSignal): Promise<number> {
  const user = identity.account && (await findUserById(deps.db, identity.account.userId));
  if (!identity.account || !user) {
    channelSink(channel, Boolean(pty))('stderr', strangerMessage(deps) + '\n');
    return 1;
  }
  // Without a PTY stdin is a pipe: read it to EOF. With one, the client's terminal is raw: prompt.
  let typed: TypedLines | undefined;
  const input: InputSource = {
    read: (label, o) => (pty ? (typed ??= new TypedLines(channel)).read(label, o.secret, signal()) : readToEnd(channel, signal())),
    // Without a PTY there is no key to press (the client's ^C ends its connection): only `signal` cancels.
    interruptible: (work) => interruptible(work, watchSignal(signal()), ...(pty ? [(typed ??= new TypedLines(channel)).interrupts()] : [])),
  };
  const origin = { fingerprint: identity.fingerprint, address: identity.address };
  const ctx: CommandContext = { db: deps.db, config: deps.config, user, keyId: identity.account.keyId, out, input, services: deps.services, interactive: false, ...(pty ? { columns: () => pty.cols } : {}), origin, audit: UNUSED_NOTES };
  const result = await runLine(deps.registry, ctx, command, deps.log);
  return result.status;
}

export function strangerMessage(deps: SshDeps): string {
  return deps.config.signup === 'open'
    ? `Please complete registration by running: ${deps.sshCommand()}`
    : 'This gatehouse does not accept new accounts (sign-up is closed). Ask an operator to add your key with "gatehouse user add".';
}
