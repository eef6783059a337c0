// What /readyz answers: may a load balancer send this instance work? Listeners up (and not
// draining), the database answering, the gateway's indexes built. Each check is bounded, and the
// database check is cached briefly so frequent scrapes cannot pile queries onto the database.

const CHECK_MS = 1000;
const DATABASE_CACHE_MS = 1000;

export interface ReadinessChecks {
  /** A cheap query; rejects or hangs when the database cannot be reached. */
  database(): Promise<unknown>;
  /** Builds (or returns) the indexes the gateway reads on every request; lazy, so this also warms them. */
  indexes(): Promise<unknown>;
}

export interface ReadinessReport {
  ready: boolean;
  body: { status: 'ok' | 'unavailable'; checks: { listeners: boolean; database: boolean; indexes: boolean } };
}

/** True when `work` settles successfully within `ms`; never rejects. */
async function passes(work: () => Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  const done = Promise.resolve()
    .then(work)
    .then(() => true, () => false);
  return Promise.race([done, late]).finally(() => clearTimeout(timer));
}

export class Readiness {
  /** Set once SSH and the gateway listen; false again the moment a stop begins. */
  listeners = false;
  private database?: { at: number; ok: Promise<boolean> };

  constructor(private readonly checks: ReadinessChecks) {}

  async report(now = performance.now()): Promise<ReadinessReport> {
    // One query per second at most, shared by the scrapes that arrive meanwhile.
    if (!this.database || now - this.database.at >= DATABASE_CACHE_MS) this.database = { at: now, ok: passes(this.checks.database, CHECK_MS) };
    const listeners = this.listeners;
    const [database, indexes] = await Promise.all([this.database.ok, passes(this.checks.indexes, CHECK_MS)]);
    const ready = listeners && database && indexes;
    return { ready, body: { status: ready ? 'ok' : 'unavailable', checks: { listeners, database, indexes } } };
  }
}
