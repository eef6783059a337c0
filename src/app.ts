// Wires the rooms together: database, SSH control plane and gateway. Only tests and main import it.
import type { Config } from './config.js';
import { Changes } from './core/changes.js';
import type { Services } from './core/services.js';
import { loadCatalog } from './core/catalog.js';
import { IntegrationIndex } from './core/integrationIndex.js';
import { loadSecretKey, Sealer } from './core/secrets.js';
import { checkSecretKey } from './core/secretCheck.js';
import { CreditLedger, newInstanceId } from './core/credits.js';
import { ApiKeyIndex } from './core/apiKeyIndex.js';
import { AuditLog } from './core/auditLog.js';
import { ChatgptAccounts } from './core/chatgpt/accounts.js';
import { RateLimits } from './core/rateLimits.js';
import { UsageWriter } from './core/usageWriter.js';
import { LoopWatch } from './core/loopWatch.js';
import { within } from './core/within.js';
import { Metrics } from './ops/metrics.js';
import { parsePool } from './core/address.js';
import { commands, groups } from './commands/index.js';
import { ChangeFeed } from './db/changeFeed.js';
import { openDatabase } from './db/open.js';
import { Gateway } from './gateway/handler.js';
import { startGateway } from './gateway/server.js';
import { createLog, flushLog, type Log } from './log.js';
import { installationValue } from './db/installation.js';
import { startAdminServer, type AdminServer } from './ops/adminServer.js';
import { routes as webRoutes } from './web/routes.js';
import { startWebServer, type WebServer } from './web/server.js';
import { findSession, signInPage } from './web/session.js';
import { WebSignIn } from './core/webSignIn.js';
import { Readiness } from './ops/readiness.js';
import type { ListenAddress } from './config.js';
import { Registry } from './shell/registry.js';
import { loadHostKeys } from './ssh/hostKeys.js';
import { startSshServer } from './ssh/server.js';

export interface Gatehouse {
  sshPort: number;
  gatewayPorts: number[];
  /** The first gateway port, for tests. */
  gatewayPort: number;
  /** The admin listener's port (/metrics, /healthz, /readyz); undefined when GATEHOUSE_ADMIN_LISTEN=off. */
  adminPort?: number;
  /** The web listener's port (models page, user page); undefined when GATEHOUSE_WEB_LISTEN=off. */
  webPort?: number;
  /**
   * Stops: no new SSH logins or gateway connections; gateway requests and streams in flight get up
   * to `drainMs` (default 0: cut at once) to finish; then usage is flushed and the database closed.
   */
  stop(options?: { drainMs?: number }): Promise<void>;
  /** Stops now, during a drain (a second signal): cuts every gateway request, flushes usage. */
  halt(): Promise<void>;
}

export async function startGatehouse(config: Readonly<Config>, options: { log?: Log } = {}): Promise<Gatehouse> {
  const instance = newInstanceId();
  // Every line names the instance: a fleet's logs end up in one place.
  const log = options.log ? options.log.child({ instance }) : createLog({ level: config.logLevel, format: config.logFormat, instance });
  parsePool(config.vmPool); // fail fast on a bad pool, not at the first "new"
  const hostKeys = loadHostKeys(config.hostKeyFiles, config.dataDir);
  const catalog = loadCatalog(config.modelsFile);
  // The database publishes every change to a watched table on `changes` (db/changePublisher.ts);
  // on PostgreSQL the feed also brings every other writer's changes (db/changeFeed.ts).
  const changes = new Changes();
  const sealer = new Sealer(loadSecretKey(config.secretKey, config.dataDir)); // before the database: a bad key leaves nothing open
  const dbLog = log.child({ component: 'db' });
  const db = await openDatabase(config.database, { changes, onIdleError: (err) => dbLog.warn(`database: an idle connection failed (the pool replaces it): ${err.message}`) });
  const registry = new Registry(commands, groups);
  await checkSecretKey(db, sealer).catch(async (err) => {
    await db.destroy(); // before any listener: an instance with another key never serves
    throw err;
  });
  const credits = new CreditLedger(db, config.monthlyCreditsMicros, { instance, log: log.child({ component: 'credits' }), changes, teamAllocationMicros: config.teamMonthlyCreditsMicros });
  const metrics = new Metrics();
  let web: WebServer | undefined;
  const webListen = config.webListen;
  const publicUrl = () => config.publicUrl ?? `http://${hostPort(webListen!, web?.port ?? webListen!.port)}`;
  const services: Services = {
    catalog,
    sealer, index: new IntegrationIndex(db, changes),
    credits,
    usage: new UsageWriter(db, log.child({ component: 'usage' }), {
      instance: credits.instance,
      onDone: (rows, committed) => credits.written(rows, committed),
      onFlush: (seconds, _rows, ok) => metrics.usageFlush(seconds, ok),
      onDropped: (rows) => metrics.usageDropped(rows),
    }),
    apiKeys: new ApiKeyIndex(db, sealer, log.child({ component: 'gateway' }), changes),
    loop: new LoopWatch(log.child({ component: 'loop' }), config.eventLoopWarnMs),
    limits: new RateLimits(db, { user: { rpm: config.rateLimitRpm, concurrent: config.rateLimitConcurrent }, key: { rpm: config.keyRateLimitRpm, concurrent: config.keyRateLimitConcurrent } }, changes),
    chatgpt: new ChatgptAccounts(db, sealer, config.chatgpt, changes, log.child({ component: 'chatgpt' })),
    metrics,
    audit: new AuditLog(db, { instance: credits.instance, log: log.child({ component: 'audit' }), metrics }),
    web: new WebSignIn(db, () => (webListen && (config.publicUrl || web) ? publicUrl() : undefined)), // none before the listener is up
  };
  services.audit.startPruning(config.auditRetentionDays);
  const readiness = new Readiness({
    database: () => installationValue(db, 'readyz'), // any one-row read proves the database answers
    // find() of a secret no key has builds the API-key index without matching (or touching) a key.
    indexes: () => Promise.all([services.index.current(), services.apiKeys.find('')]),
  });
  let sshPort = config.sshListen.port;
  const sshCommand = () => {
    const host = ['0.0.0.0', '::'].includes(config.sshListen.host) ? 'HOST' : config.sshListen.host === '127.0.0.1' ? 'localhost' : config.sshListen.host;
    return sshPort === 22 ? `ssh ${host}` : `ssh -p ${sshPort} ${host}`;
  };
  // The caches are built lazily, at first use, so no change can slip in before the feed listens.
  let feed: ChangeFeed | undefined;
  if (config.database.kind === 'postgres') {
    feed = await ChangeFeed.start({ url: config.database.url, db, changes, log: dbLog, checkMs: config.changeCheckMs }).catch(async (err) => {
      await closeServices();
      throw err;
    });
  }
  /**
   * Writes what is left (every finished request's row, then the unused lease goes back) and closes
   * the database. Each step is bounded: a PostgreSQL that does not answer must not hold a stop forever.
   */
  async function closeServices(): Promise<void> {
    await within(services.usage.close(), 10_000);
    await within(services.credits.close(), 2_000);
    await within(services.chatgpt.close(), 2_000);
    await within(services.audit.close(), 2_000);
    services.loop.stop();
    await within(Promise.all([feed?.stop(), db.destroy()]), 5_000);
  }
  const ssh = await startSshServer({ db, config, registry, services, log: log.child({ component: 'ssh' }), sshCommand }, hostKeys, config.sshListen).catch(async (err) => {
    await closeServices();
    throw err;
  });
  sshPort = ssh.port;
  const gatewayLog = log.child({ component: 'gateway' });
  const gateway = await startGateway(config, new Gateway({ config, db, services, changes, log: gatewayLog })).catch(async (err) => {
    await ssh.stop();
    await closeServices();
    throw err;
  });
  metrics.watch({
    inFlight: () => gateway.inFlight,
    streams: () => gateway.streams,
    sockets: () => gateway.sockets,
    sshSessions: () => ssh.openSessions,
    usageQueue: () => services.usage.unwritten,
    loopStalls: () => services.loop.delay().stalls,
  });
  // After the gateway, so a scrape never sees a half-started instance as ready.
  let admin: AdminServer | undefined;
  if (config.adminListen) {
    admin = await startAdminServer(config.adminListen, { metrics, readiness, log: log.child({ component: 'admin' }) }).catch(async (err) => {
      await Promise.all([ssh.stop(), gateway.stop(0)]);
      await closeServices();
      throw err;
    });
  }
  if (webListen) {
    web = await startWebServer(webListen, { db, config, services, log: log.child({ component: 'web' }), publicUrl, sshCommand }, webRoutes, { session: findSession, signIn: signInPage }).catch(async (err) => {
      await Promise.all([ssh.stop(), gateway.stop(0), admin?.close()]);
      await closeServices();
      throw err;
    });
  }
  log.info('listening', { component: 'ssh', listen: hostPort(config.sshListen, sshPort) });
  config.gatewayListen.forEach((l, i) => gatewayLog.info('listening', { listen: hostPort(l, gateway.ports[i]) }));
  if (admin) log.info('listening', { component: 'admin', listen: hostPort(config.adminListen!, admin.port) });
  if (web) log.info('listening', { component: 'web', listen: hostPort(config.webListen!, web.port) });
  readiness.listeners = true;
  return {
    sshPort,
    gatewayPorts: gateway.ports,
    gatewayPort: gateway.ports[0],
    adminPort: admin?.port,
    webPort: web?.port,
    async stop({ drainMs = 0 } = {}) {
      readiness.listeners = false; // first: a load balancer stops sending work while we drain
      const inFlight = gateway.inFlight;
      if (drainMs > 0 && inFlight > 0) log.info(`draining: ${inFlight} gateway requests in flight, waiting up to ${drainMs} ms for them (GATEHOUSE_DRAIN_MS; a second SIGTERM or SIGINT stops at once)`, { count: inFlight, duration_ms: drainMs });
      // ssh.stop returns once running commands are done (bounded): they may still use the database.
      await Promise.all([ssh.stop(), gateway.stop(drainMs), web?.close()]);
      await closeServices();
      await within(admin?.close() ?? Promise.resolve(), 2_000); // last: Prometheus can scrape the drain
      log.info('stopped');
      flushLog(log);
    },
    async halt() {
      readiness.listeners = false;
      await gateway.cut(); // bounded: the cut requests queue their usage rows
      await within(services.usage.flush(), 2_000); // the rows are committed before the process exits
      services.loop.stop();
      await within(Promise.all([feed?.stop(), admin?.close(), web?.close()]), 1_000);
      log.info('stopped', { event: 'halt' });
      flushLog(log);
    },
  };
}

/** host:port as an operator writes it ([v6]:port). */
function hostPort(l: ListenAddress, port: number): string {
  return `${l.host.includes(':') ? `[${l.host}]` : l.host}:${port}`;
}
