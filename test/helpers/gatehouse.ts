// Starts a real gatehouse in-process: temp data dir, SSH and gateway on 127.0.0.1 port 0.
// The log is captured so tests can assert that no secret was ever written to it.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startGatehouse, type Gatehouse } from '../../src/app.js';
import { loadConfig, type Config } from '../../src/config.js';
import type { Log } from '../../src/log.js';

export interface TestGatehouse {
  app: Gatehouse;
  config: Readonly<Config>;
  dataDir: string;
  sshPort: number;
  gatewayPort: number;
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
    ...env,
  });
  const logLines: string[] = [];
  const log: Log = {
    debug: () => {},
    child: () => log,
    info: (m) => void logLines.push(m),
    warn: (m) => void logLines.push(`WARN ${m}`),
    error: (m, e) => void logLines.push(`ERROR ${m} ${e instanceof Error ? e.stack : String(e ?? '')}`),
  };
  const app = await startGatehouse(config, { log });
  return {
    app,
    config,
    dataDir,
    sshPort: app.sshPort,
    gatewayPort: app.gatewayPort,
    logLines,
    stop: () => app.stop(),
  };
}
