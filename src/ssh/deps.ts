// What the SSH room needs from the rest of the app, passed in (never imported as globals).
import type { Config } from '../config.js';
import type { Services } from '../core/services.js';
import type { Db } from '../db/open.js';
import type { Log } from '../log.js';
import type { Registry } from '../shell/registry.js';

export interface SshDeps {
  db: Db;
  config: Readonly<Config>;
  registry: Registry;
  services: Services;
  log: Log;
  /** How users reach this server, for "run: ssh -p PORT HOST" hints. */
  sshCommand(): string;
}
