// Listed by hand (not read from disk) so the bundle is explicit and ordered.
import type { Migration } from 'kysely';
import * as m0001 from './0001_init.js';
import * as m0002 from './0002_integrations.js';
import * as m0003 from './0003_usage.js';
import * as m0004 from './0004_api_keys.js';
import * as m0005 from './0005_limits.js';
import * as m0006 from './0006_change_feed.js';
import * as m0007 from './0007_credit_leases.js';
import * as m0008 from './0008_installation.js';
import * as m0009 from './0009_indexes.js';
import * as m0010 from './0010_quiet_bookkeeping.js';
import * as m0011 from './0011_chatgpt_accounts.js';
import * as m0013 from './0013_audit_log.js';
import * as m0014 from './0014_teams.js';
import * as m0015 from './0015_web_auth.js';

export const migrations: Record<string, Migration> = {
  '0001_init': m0001,
  '0002_integrations': m0002,
  '0003_usage': m0003,
  '0004_api_keys': m0004,
  '0005_limits': m0005,
  '0006_change_feed': m0006,
  '0007_credit_leases': m0007,
  '0008_installation': m0008,
  '0009_indexes': m0009,
  '0010_quiet_bookkeeping': m0010,
  '0011_chatgpt_accounts': m0011,
  // No 0012: teams landed after 0013 as 0014 (kysely refuses an older migration once a newer one ran).
  '0013_audit_log': m0013,
  '0014_teams': m0014,
  '0015_web_auth': m0015,
};
