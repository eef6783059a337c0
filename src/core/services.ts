// Long-lived services that commands and the gateway share, built once in app.ts.
// Passed as an argument (ctx.services), never imported as globals.
import type { ApiKeyIndex } from './apiKeyIndex.js';
import type { AuditLog } from './auditLog.js';
import type { Catalog } from './catalog.js';
import type { Metrics } from '../ops/metrics.js';
import type { ChatgptAccounts } from './chatgpt/accounts.js';
import type { CreditLedger } from './credits.js';
import type { IntegrationIndex } from './integrationIndex.js';
import type { RateLimits } from './rateLimits.js';
import type { LoopWatch } from './loopWatch.js';
import type { Sealer } from './secrets.js';
import type { UsageWriter } from './usageWriter.js';
import type { WebSignIn } from './webSignIn.js';

export interface Services {
  catalog: Catalog;
  sealer: Sealer;
  index: IntegrationIndex;
  credits: CreditLedger;
  usage: UsageWriter;
  apiKeys: ApiKeyIndex;
  limits: RateLimits;
  /** Event-loop delay figures; work in flight is registered so a stall names it. */
  loop: LoopWatch;
  /** Connected ChatGPT accounts: logins, sealed tokens, single-flight refresh, usage windows. */
  chatgpt: ChatgptAccounts;
  /** Prometheus counters and histograms (src/ops/metrics.ts); gauges read live state at scrape time. */
  metrics: Metrics;
  /** Who changed what: one row per audited command (src/core/auditLog.ts). */
  audit: AuditLog;
  /** Web sign-in: one-time links (`browser`) and the sessions they start (src/core/webSignIn.ts). */
  web: WebSignIn;
}
