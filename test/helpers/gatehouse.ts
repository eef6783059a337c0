// Starts a real gatehouse in-process: temp data dir, SSH, gateway and admin listener on 127.0.0.1
// port 0. The real (pino) log is captured, line for line, so tests can assert that no secret was
// ever written to it and that every line is one JSON object.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startGatehouse, type Gatehouse } from '../../src/app.js';
import { loadConfig, type Config } from '../../src/config.js';
import { createLog, type LogLevel } from '../../src/log.js';

export interface TestGatehouse {
  app: Gatehouse;
  config: Readonly<Config>;
  dataDir: string;
  sshPort: number;
  gatewayPort: number;
  /** The admin listener (/metrics, /healthz, /readyz); undefined with GATEHOUSE_ADMIN_LISTEN=off. */
  adminPort?: number;
  /** The web listener (issue 17); undefined with GATEHOUSE_WEB_LISTEN=off. */
  webPort?: number;
  /** Exactly what the log wrote, one JSON object a line (without the newline). */
  rawLog: string[];
  /**
   * The same lines as `msg`, `WARN msg`, `ERROR msg stack`, each followed by its raw JSON, so a
   * scan for a secret sees every field.
   */
  logLines: string[];
  stop(): Promise<void>;
}

export function tempDir(prefix = 'gatehouse-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export async function startTestGatehouse(env: Record<string, string> = {}, dataDir = tempDir()): Promise<TestGatehouse> {
  const config = loadConfig({
    GATEHOUSE_DATA_DIR: dataDir,
    GATEHOUSE_SSH_LISTEN: '127.0.0.1:0',
    GATEHOUSE_GATEWAY_LISTEN: '127.0.0.1:0',
    GATEHOUSE_ADMIN_LISTEN: '127.0.0.1:0',
    GATEHOUSE_WEB_LISTEN: '127.0.0.1:0',
    ...env,
  });
  const { rawLog, logLines, destination } = captureLog();
  const log = createLog({ level: (env.GATEHOUSE_LOG_LEVEL as LogLevel | undefined) ?? 'info', format: 'json', destination });
  const app = await startGatehouse(config, { log });
  return {
    app,
    config,
    dataDir,
    sshPort: app.sshPort,
    gatewayPort: app.gatewayPort,
    adminPort: app.adminPort,
    webPort: app.webPort,
    rawLog,
    logLines,
    stop: () => app.stop(),
  };
}

/** A log destination keeping each line as written (rawLog) and in the older text form (logLines). */
export function captureLog(): { rawLog: string[]; logLines: string[]; destination: { write(line: string): void } } {
  const rawLog: string[] = [];
  const logLines: string[] = [];
  const destination = {
    write(chunk: string) {
      for (const line of chunk.split('\n')) {
        if (line === '') continue;
        rawLog.push(line);
        logLines.push(textForm(line));
      }
    },
  };
  return { rawLog, logLines, destination };
}

/** `WARN msg` / `ERROR msg stack` / `msg`, then the raw JSON line; a line that is not JSON is marked. */
export function textForm(line: string): string {
  let o: { level?: string; msg?: string; err?: { stack?: string; message?: string } };
  try {
    o = JSON.parse(line);
  } catch {
    return `NOT JSON ${line}`;
  }
  const prefix = o.level === 'warn' ? 'WARN ' : o.level === 'error' ? 'ERROR ' : o.level === 'debug' || o.level === 'trace' ? 'DEBUG ' : '';
  const err = o.level === 'error' && o.err ? ` ${o.err.stack ?? o.err.message ?? ''}` : '';
  return `${prefix}${o.msg ?? ''}${err} ${line}`;
}
