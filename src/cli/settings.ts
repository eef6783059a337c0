// Settings as flags: every GATEHOUSE_* variable has one (config.ts SETTINGS); a flag wins over the
// variable. Config errors name the variable; when the operator gave the flag, they name it too.
import { loadConfig, SETTINGS, type Config } from '../config.js';
import { GatehouseError } from '../errors.js';
import type { OptionSpec, ParsedArgs } from '../shell/types.js';

const settingOption = (s: (typeof SETTINGS)[number]): OptionSpec => ({ type: 'string', value: s.env, describe: `${s.help} (default: ${s.default})` });

/** Every setting, for `serve`. */
export const SETTING_OPTIONS: Record<string, OptionSpec> = Object.fromEntries(SETTINGS.map((s) => [s.flag, settingOption(s)]));

/** Where the database is, for the commands that act on it beside (or without) `serve`. */
export const DATABASE_OPTIONS: Record<string, OptionSpec> = {
  'data-dir': { type: 'string', value: 'GATEHOUSE_DATA_DIR', describe: 'the data dir serve uses; its SQLite file unless --database-url (default: ./data)' },
  'database-url': { type: 'string', value: 'GATEHOUSE_DATABASE_URL', describe: 'the database serve uses, postgres://… for a fleet (default: the SQLite file in the data dir). Safe while serve runs' },
};

export function configFrom(env: NodeJS.ProcessEnv, args: ParsedArgs): Readonly<Config> {
  const merged = { ...env };
  for (const s of SETTINGS) if (typeof args[s.flag] === 'string') merged[s.env] = args[s.flag] as string;
  try {
    return loadConfig(merged);
  } catch (err) {
    throw namingFlag(err, args);
  }
}

export function namingFlag(err: unknown, args: ParsedArgs): unknown {
  if (!(err instanceof GatehouseError) || err.code !== 'config') return err;
  const s = SETTINGS.find((s) => typeof args[s.flag] === 'string' && err.message.startsWith(`${s.env}:`));
  if (!s) return err;
  return new GatehouseError('config', `--${s.flag} (${s.env})${err.message.slice(s.env.length)}`, { hint: err.hint, cause: err });
}
