// Sessions one user may have open at once, over all their connections. A session past the limit is
// accepted and answered with a readable error and exit status 1: ssh2 can only refuse a channel
// without a reason, which OpenSSH shows as "open failed: connect failed" and some clients retry.
import type { ServerChannel, Session } from 'ssh2';
import { GatehouseError } from '../errors.js';
import { Output } from '../shell/output.js';
import type { Identity } from './auth.js';
import { channelSink, flushChannel } from './channel.js';

export class SessionCounter {
  private readonly open = new Map<string, number>();

  constructor(private readonly max: number) {}

  /** Counts one more session of this identity; undefined when at the limit. The result releases it (once). */
  take(identity: Identity): (() => void) | undefined {
    // A stranger (sign-up) has no account yet: their key stands for them.
    const who = identity.account ? `user:${identity.account.userId}` : `key:${identity.fingerprint}`;
    const count = this.open.get(who) ?? 0;
    if (count >= this.max) return undefined;
    this.open.set(who, count + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.open.get(who) ?? 1) - 1;
      if (left > 0) this.open.set(who, left);
      else this.open.delete(who);
    };
  }

  tooMany(): GatehouseError {
    return new GatehouseError('rate_limited', `too many sessions open at once (at most ${this.max} per user)`, {
      hint: 'close a session (or a shell) you no longer use and try again',
    });
  }
}

/** Answers the session's exec or shell request with `err` and ends it; other requests are refused. */
export function refuseSession(session: Session, err: GatehouseError): void {
  let pty = false;
  session.on('pty', (accept) => {
    pty = true;
    accept?.();
  });
  session.on('env', (accept) => accept?.());
  session.on('window-change', (accept) => accept?.());
  for (const unsupported of ['x11', 'auth-agent', 'subsystem', 'signal', 'sftp'] as const) {
    session.on(unsupported as 'x11', (_accept: unknown, reject: (() => void) | undefined) => reject?.());
  }
  session.on('exec', (accept, _reject, info) => explain(accept(), pty, err, /(^|\s)--json(\s|$)/.test(info.command)));
  session.on('shell', (accept) => explain(accept(), pty, err, false));
}

function explain(channel: ServerChannel, pty: boolean, err: GatehouseError, json: boolean): void {
  const out = new Output(channelSink(channel, pty), { color: pty, prettyJson: false });
  if (json) out.plain().json({ error: err.message, code: err.code, ...(err.hint ? { hint: err.hint } : {}) });
  else out.error(err.message, err.hint);
  flushChannel(channel);
  channel.exit(err.exitStatus);
  channel.end();
}
