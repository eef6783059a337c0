// `gatehouse serve`: runs the SSH control plane and the gateway until SIGTERM or SIGINT; a second
// signal during the drain stops at once.
import os from 'node:os';
import { startGatehouse } from '../app.js';
import { describeDatabase } from '../config.js';
import { SETTING_OPTIONS, configFrom, namingFlag } from './settings.js';
import type { CliCommandDef } from './types.js';

export const serve: CliCommandDef = {
  path: ['serve'],
  summary: 'run the SSH control plane and the gateway (every flag has a GATEHOUSE_* variable; flags win)',
  options: SETTING_OPTIONS,
  examples: ['gatehouse serve', 'gatehouse serve --ssh-listen 0.0.0.0:22 --gateway-listen 169.254.169.254:80 --signup closed'],
  async run(ctx, args) {
    const config = configFrom(ctx.env, args);
    const log = ctx.log(config);
    // Listening for signals before the first line: a supervisor may send SIGTERM as soon as it reads it.
    const stopSignal = ctx.nextSignal();
    const app = await startGatehouse(config, { log }).catch((err) => {
      throw namingFlag(err, args);
    });
    log.info(`database ${describeDatabase(config.database)}; data in ${config.dataDir}; sign-up is ${config.signup}`); // never the password
    const signal = await stopSignal;
    log.info('signal received, shutting down', { signal });
    void ctx.nextSignal().then(async (again) => {
      log.info('signal received again, stopping now', { signal: again });
      await app.halt();
      // 128 + signal number, as a shell reports a process ended by that signal: the stop was not clean
      // (streams were cut), and a supervisor or script can tell it from a drained stop (0).
      ctx.exit(128 + os.constants.signals[again]);
    });
    await app.stop({ drainMs: config.drainMs }); // app.ts logs `stopped` and flushes the log
    return 0;
  },
};
