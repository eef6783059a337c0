// The operator CLI's commands are declared in the shell's shape (CommandShape), so parsing, help
// and "not found" errors come from src/shell; only their context differs: no SSH user, stdout.
import type { Config } from '../config.js';
import type { Log } from '../log.js';
import type { Output } from '../shell/output.js';
import type { CommandShape, ParsedArgs } from '../shell/types.js';

export type StopSignal = 'SIGINT' | 'SIGTERM';

/** What main.ts hands a CLI command: process concerns stay in main.ts. */
export interface CliContext {
  out: Output;
  env: NodeJS.ProcessEnv;
  /** The OS account running the CLI: audit rows name it as `operator:<user>`. */
  osUser: string;
  /** The server log for a config (serve only). */
  log(config: Readonly<Config>): Log;
  /** Resolves on the next SIGINT or SIGTERM. */
  nextSignal(): Promise<StopSignal>;
  /** Ends the process now (a second signal during a drain). */
  exit(status: number): never;
}

export interface CliCommandDef extends CommandShape {
  run(ctx: CliContext, args: ParsedArgs): Promise<number | void>;
}
