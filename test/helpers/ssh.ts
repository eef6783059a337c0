// Real SSH clients for tests: ssh2's Client with fresh ed25519 keys, and OpenSSH's `ssh` when installed.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import ssh2 from 'ssh2';
import { generateEd25519 } from '../../src/ssh/hostKeys.js';
import { tempDir } from './gatehouse.js';
import { ScriptedTerminal } from './terminal.js';

export interface KeyPair {
  private: string;
  public: string; // "ssh-ed25519 AAAA… comment"
}

/** A fresh ed25519 key (redrawn when ssh2's generator makes an unparseable one: mscdex/ssh2#1390). */
export function newKey(comment = 'test'): KeyPair {
  const pair = generateEd25519(comment);
  return { private: pair.private, public: pair.public };
}

export interface ExecResult {
  stdout: string;
  stderr: string;
  code: number | null;
}

const DEADLINE_MS = 10_000;

export function connect(port: number, key: KeyPair): Promise<ssh2.Client> {
  return new Promise((resolve, reject) => {
    const client = new ssh2.Client();
    const timer = setTimeout(() => {
      client.end();
      reject(new Error('ssh connect deadline'));
    }, DEADLINE_MS);
    client
      .on('ready', () => {
        clearTimeout(timer);
        resolve(client);
      })
      .on('error', (err) => {
        clearTimeout(timer);
        reject(err);
      })
      .connect({ host: '127.0.0.1', port, username: 'test', privateKey: key.private, readyTimeout: DEADLINE_MS });
  });
}

/** Runs one command on an open connection (a fresh exec channel), with a deadline. */
export function execOn(client: ssh2.Client, command: string, options: { stdin?: string; pty?: boolean; env?: Record<string, string>; eof?: boolean } = {}): Promise<ExecResult> {
  return new Promise<ExecResult>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`exec deadline: ${command.slice(0, 80)}`)), DEADLINE_MS);
    client.exec(command, { pty: options.pty ? { cols: 100, rows: 30, term: 'xterm-256color' } : undefined, env: options.env }, (err, stream) => {
      if (err) {
        clearTimeout(timer);
        return reject(err);
      }
      let stdout = '';
      let stderr = '';
      let code: number | null = null;
      stream.on('data', (d: Buffer) => (stdout += d.toString()));
      stream.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      stream.on('exit', (c: number | null) => (code = c));
      stream.on('close', () => {
        clearTimeout(timer);
        resolve({ stdout, stderr, code });
      });
      if (options.eof === false) stream.write(options.stdin ?? '');
      else if (options.stdin !== undefined) stream.end(options.stdin);
      else stream.end();
    });
  });
}

/**
 * Runs one command over a fresh connection, like `ssh -p PORT host COMMAND`. Stdin ends after
 * `stdin` unless `eof` is false: then it stays open, as a terminal's does under `ssh -t`.
 */
export async function exec(port: number, key: KeyPair, command: string, options: { stdin?: string; pty?: boolean; env?: Record<string, string>; eof?: boolean } = {}): Promise<ExecResult> {
  const client = await connect(port, key);
  try {
    return await execOn(client, command, options);
  } finally {
    client.end();
  }
}

/** Opens the interactive prompt with a PTY; returns a terminal that renders what the user would see. */
export async function openShell(port: number, key: KeyPair, size = { cols: 100, rows: 30 }, env?: Record<string, string>): Promise<ScriptedTerminal> {
  const client = await connect(port, key);
  return new Promise((resolve, reject) => {
    client.shell({ cols: size.cols, rows: size.rows, term: 'xterm-256color' }, { env }, (err, stream) => {
      if (err) return reject(err);
      resolve(new ScriptedTerminal(client, stream, size));
    });
  });
}

/** Signs up through the real interactive flow (open sign-up) and returns the user's key. */
export async function signUp(port: number, name: string, email = ''): Promise<KeyPair> {
  const key = newKey(`${name}-laptop`);
  const term = await openShell(port, key);
  try {
    await term.waitFor(/Choose a user name:/);
    term.type(`${name}\r`);
    await term.waitFor(/Email/);
    term.type(`${email}\r`);
    await term.waitFor(/gatehouse ▶/);
  } finally {
    term.close();
  }
  return key;
}

/** OpenSSH client, when installed; tests that use it skip themselves otherwise. */
export const hasOpenSsh = spawnSync('ssh', ['-V']).status === 0;

export function openSshArgs(port: number, key: KeyPair): { args: string[]; cleanup(): void } {
  const dir = tempDir('gatehouse-ssh-');
  const keyFile = path.join(dir, 'id_ed25519');
  fs.writeFileSync(keyFile, key.private, { mode: 0o600 });
  const args = ['-p', String(port), '-i', keyFile, '-o', 'IdentitiesOnly=yes', '-o', 'StrictHostKeyChecking=no', '-o', `UserKnownHostsFile=${path.join(dir, 'known_hosts')}`, '-o', 'LogLevel=ERROR', '-o', 'BatchMode=yes'];
  return { args, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** Runs OpenSSH's `ssh [options] 127.0.0.1 [command…]` against the test server. */
export function runOpenSsh(port: number, key: KeyPair, options: string[], command: string[], stdin = ''): Promise<ExecResult> {
  const { args, cleanup } = openSshArgs(port, key);
  return new Promise((resolve, reject) => {
    const child = spawn('ssh', [...args, ...options, '127.0.0.1', ...command], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => {
      child.kill();
      reject(new Error(`ssh deadline: ${command.join(' ')}`));
    }, DEADLINE_MS);
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => {
      clearTimeout(timer);
      cleanup();
      resolve({ stdout, stderr, code });
    });
    child.stdin.end(stdin);
  });
}
