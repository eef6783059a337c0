// Configuration: every setting is an environment variable (GATEHOUSE_*) and a matching
// `serve` flag (--data-dir …). Defaults make `gatehouse serve` work on a laptop.
// Parsed once, frozen, and fails fast with a message naming the setting.
import path from 'node:path';
import net from 'node:net';
import { GatehouseError } from './errors.js';
import { OPS_SETTINGS, opsFrom, type OpsConfig } from './configOps.js';
import { WEB_SETTINGS, webFrom, type WebConfig } from './configWeb.js';

export { checkAdminListen, type OpsConfig } from './configOps.js';

export const PROVIDER_IDS = ['anthropic', 'openai', 'fireworks', 'gemini'] as const;
export type ProviderId = (typeof PROVIDER_IDS)[number];

export interface ListenAddress {
  host: string;
  port: number;
}

/** Where the state lives: one SQLite file (the embedded default), or a PostgreSQL that a fleet shares. */
export type DatabaseTarget = { kind: 'sqlite'; file: string } | { kind: 'postgres'; url: string; poolSize: number };

/** OpsConfig (configOps.ts): adminListen, logLevel, logFormat, auditRetentionDays. */
export interface Config extends OpsConfig, WebConfig {
  dataDir: string;
  database: DatabaseTarget;
  sshListen: ListenAddress;
  hostKeyFiles: string[]; // empty: generate one in the data dir
  gatewayListen: ListenAddress[];
  domain: string;
  signup: 'open' | 'closed';
  monthlyCreditsMicros: number;
  /** A team's monthly allocation for gateway traffic through its integrations (issue 14). */
  teamMonthlyCreditsMicros: number;
  secretKey?: string;
  upstreams: Record<ProviderId, string>;
  providerKeys: Partial<Record<ProviderId, string>>;
  vmPool: string;
  tlsCert?: string;
  tlsKey?: string;
  modelsFile?: string;
  /** Upstream silence after which an SSE stream gets a keep-alive comment. */
  sseKeepaliveMs: number;
  /** Largest request body the gateway accepts (413 beyond). */
  maxBodyBytes: number;
  /** How long upstream may take to send response headers, and to stay silent mid-body (504 beyond). */
  upstreamTimeoutMs: number;
  /** Metering and credits; off only for benchmarks that measure their cost. */
  metering: boolean;
  /** Gateway requests per minute per user, unless an admin overrides it (admin limits set). */
  rateLimitRpm: number;
  /** Gateway requests in flight at once per user (streams included). */
  rateLimitConcurrent: number;
  /** The same two limits for each API key, on top of its user's. */
  keyRateLimitRpm: number;
  keyRateLimitConcurrent: number;
  /** SSH sessions one user may have open at once, over all their connections. Both limits default to
   * 64: scripts (and this project's tests) fan out one `ssh HOST CMD` per command at once. */
  sshMaxSessionsPerUser: number;
  /** Connections from one address (IPv6: one /64) not yet authenticated; more are closed at once. */
  sshMaxUnauthenticatedPerAddress: number;
  /** From TCP accept to authenticated; a connection still short of it is closed. */
  sshHandshakeTimeoutMs: number;
  /** Failed authentication attempts from one address answered without delay (one is forgiven a minute). */
  sshAuthFreeFailures: number;
  /** Delay before answering the first failure beyond those; doubles with each further one, up to 8 times. */
  sshAuthDelayMs: number;
  /** Operator overrides of the SSH algorithm lists (undefined: the hardened defaults in ssh/algorithms.ts). */
  sshKex?: string[];
  sshCiphers?: string[];
  sshMacs?: string[];
  sshHostKeyAlgorithms?: string[];
  sshCompression?: string[];
  /** On SIGTERM/SIGINT, how long requests and streams in flight may take to finish (0: cut at once). */
  drainMs: number;
  /** A single task holding the event loop longer than this is logged, with the work in flight. */
  eventLoopWarnMs: number;
  /** PostgreSQL: how often the fleet's change version is checked for missed notifications. */
  changeCheckMs: number;
  /** How long a gateway client may take to send a request's headers (408 and close beyond). */
  gatewayHeadersTimeoutMs: number;
  /** How long a request body may go without a byte (408 beyond). */
  gatewayBodyTimeoutMs: number;
  /** Gateway connections open at once from one source address; more are closed at once. */
  gatewayMaxConnectionsPerAddress: number;
  /** The ChatGPT source: sign-in issuer, its public client id, the model backend, device-login patience. */
  chatgpt: ChatgptConfig;
}

export interface ChatgptConfig {
  issuer: string;
  clientId: string;
  backend: string;
  loginTimeoutMs: number;
}

/** Every setting, its environment variable and its default; `serve --help` is generated from this. */
export const SETTINGS: { env: string; flag: string; default: string; help: string }[] = [
  { env: 'GATEHOUSE_DATA_DIR', flag: 'data-dir', default: './data', help: 'database, host keys, secret key' },
  { env: 'GATEHOUSE_DATABASE_URL', flag: 'database-url', default: 'SQLite file in the data dir', help: 'postgres://USER:PASSWORD@HOST:PORT/DB for a fleet, or sqlite:PATH / a file path' },
  { env: 'GATEHOUSE_DATABASE_POOL_SIZE', flag: 'database-pool-size', default: '10', help: 'PostgreSQL connections per instance (plus one that listens for changes)' },
  { env: 'GATEHOUSE_CHANGE_CHECK_MS', flag: 'change-check-ms', default: '1000', help: 'PostgreSQL: how often to check for changes whose notification was missed (bounds how stale a cache can get)' },
  { env: 'GATEHOUSE_SSH_LISTEN', flag: 'ssh-listen', default: '127.0.0.1:2222', help: 'SSH control plane address' },
  { env: 'GATEHOUSE_HOST_KEYS', flag: 'host-keys', default: 'generated ed25519 key in the data dir', help: 'comma list of private key files (see host-keys.example)' },
  { env: 'GATEHOUSE_GATEWAY_LISTEN', flag: 'gateway-listen', default: '127.0.0.1:8080', help: 'comma list; production 169.254.169.254:80' },
  { env: 'GATEHOUSE_DOMAIN', flag: 'domain', default: 'gatehouse.localhost', help: 'hosts NAME.int.DOMAIN' },
  { env: 'GATEHOUSE_SIGNUP', flag: 'signup', default: 'open', help: 'open or closed' },
  { env: 'GATEHOUSE_MONTHLY_CREDITS', flag: 'monthly-credits', default: '20', help: 'USD per user per month' },
  { env: 'GATEHOUSE_TEAM_MONTHLY_CREDITS', flag: 'team-monthly-credits', default: '100', help: 'USD per team per month (gateway traffic through team integrations)' },
  { env: 'GATEHOUSE_SECRET_KEY', flag: 'secret-key', default: 'generated in the data dir', help: '32 bytes, hex or base64; encrypts provider keys' },
  ...PROVIDER_IDS.flatMap((p) => [
    { env: `GATEHOUSE_${p.toUpperCase()}_UPSTREAM`, flag: `${p}-upstream`, default: DEFAULT_UPSTREAMS()[p], help: `${p} API base URL` },
    { env: `GATEHOUSE_${p.toUpperCase()}_API_KEY`, flag: `${p}-api-key`, default: 'none', help: `operator key for the ${p} gateway source` },
  ]),
  { env: 'GATEHOUSE_CHATGPT_ISSUER', flag: 'chatgpt-issuer', default: 'https://auth.openai.com', help: 'ChatGPT sign-in issuer (device-code login, token refresh)' },
  { env: 'GATEHOUSE_CHATGPT_CLIENT_ID', flag: 'chatgpt-client-id', default: 'app_EMoamEEZ73f0CkXaXp7hrann', help: 'OAuth client id gatehouse signs in to ChatGPT as (Codex CLI\'s public one)' },
  { env: 'GATEHOUSE_CHATGPT_BACKEND', flag: 'chatgpt-backend', default: 'https://chatgpt.com/backend-api/codex', help: 'ChatGPT model backend base URL (Responses API)' },
  { env: 'GATEHOUSE_CHATGPT_LOGIN_TIMEOUT_MS', flag: 'chatgpt-login-timeout-ms', default: '900000', help: 'how long integrations setup chatgpt waits for the code to be entered' },
  { env: 'GATEHOUSE_VM_POOL', flag: 'vm-pool', default: '10.42.0.0/16', help: 'IPv4 CIDR for VMs registered without --address' },
  { env: 'GATEHOUSE_TLS_CERT', flag: 'tls-cert', default: 'none', help: 'PEM certificate file; enables HTTPS' },
  { env: 'GATEHOUSE_TLS_KEY', flag: 'tls-key', default: 'none', help: 'PEM key file for the certificate' },
  { env: 'GATEHOUSE_MODELS', flag: 'models', default: 'built-in catalog', help: 'model catalog JSON file' },
  { env: 'GATEHOUSE_SSE_KEEPALIVE_MS', flag: 'sse-keepalive-ms', default: '15000', help: 'keep-alive comment after this much upstream silence' },
  { env: 'GATEHOUSE_METERING', flag: 'metering', default: 'on', help: 'on, or off to measure its cost in benchmarks (no usage rows, no credits)' },
  { env: 'GATEHOUSE_UPSTREAM_TIMEOUT_MS', flag: 'upstream-timeout-ms', default: '600000', help: 'upstream silence before 504 (before headers) or a cut (mid-stream)' },
  { env: 'GATEHOUSE_MAX_BODY_BYTES', flag: 'max-body-bytes', default: '33554432', help: 'largest request body the gateway accepts (32 MiB)' },
  { env: 'GATEHOUSE_RATE_LIMIT_RPM', flag: 'rate-limit-rpm', default: '600', help: 'gateway requests per minute per user (admin limits set overrides)' },
  { env: 'GATEHOUSE_RATE_LIMIT_CONCURRENT', flag: 'rate-limit-concurrent', default: '128', help: 'gateway requests in flight per user, streams included' },
  { env: 'GATEHOUSE_KEY_RATE_LIMIT_RPM', flag: 'key-rate-limit-rpm', default: '600', help: 'gateway requests per minute per API key' },
  { env: 'GATEHOUSE_KEY_RATE_LIMIT_CONCURRENT', flag: 'key-rate-limit-concurrent', default: '128', help: 'gateway requests in flight per API key' },
  { env: 'GATEHOUSE_SSH_MAX_SESSIONS_PER_USER', flag: 'ssh-max-sessions-per-user', default: '64', help: 'SSH sessions one user may have open at once, over all connections' },
  { env: 'GATEHOUSE_SSH_MAX_UNAUTHENTICATED_PER_ADDRESS', flag: 'ssh-max-unauthenticated-per-address', default: '64', help: 'SSH connections not yet logged in from one address (IPv6: /64); more are closed' },
  { env: 'GATEHOUSE_SSH_HANDSHAKE_TIMEOUT_MS', flag: 'ssh-handshake-timeout-ms', default: '60000', help: 'from TCP accept to logged in; longer is closed (covers a first host-key prompt)' },
  { env: 'GATEHOUSE_SSH_AUTH_FREE_FAILURES', flag: 'ssh-auth-free-failures', default: '5', help: 'failed SSH logins from one address answered at once (one forgiven a minute)' },
  { env: 'GATEHOUSE_SSH_AUTH_DELAY_MS', flag: 'ssh-auth-delay-ms', default: '1000', help: 'delay before refusing the next failed login from that address; doubles, up to 8x' },
  { env: 'GATEHOUSE_SSH_KEX', flag: 'ssh-kex', default: 'curve25519, DH group 16', help: 'comma list of SSH key exchanges offered (group 18 costs ~29 ms of event loop per login)' },
  { env: 'GATEHOUSE_SSH_CIPHERS', flag: 'ssh-ciphers', default: 'chacha20-poly1305, AES-GCM, AES-CTR', help: 'comma list of SSH ciphers offered' },
  { env: 'GATEHOUSE_SSH_MACS', flag: 'ssh-macs', default: 'hmac-sha2-256/512-etm@openssh.com', help: 'comma list of SSH MACs offered' },
  { env: 'GATEHOUSE_SSH_HOST_KEY_ALGORITHMS', flag: 'ssh-host-key-algorithms', default: 'ed25519, ECDSA, rsa-sha2-512/256', help: 'comma list of host key signature algorithms (for the keys given)' },
  { env: 'GATEHOUSE_SSH_COMPRESSION', flag: 'ssh-compression', default: 'none', help: 'comma list: none, zlib@openssh.com (after login), zlib' },
  { env: 'GATEHOUSE_EVENT_LOOP_WARN_MS', flag: 'event-loop-warn-ms', default: '200', help: 'log a warning, naming the work in flight, when one task holds the event loop longer' },
  { env: 'GATEHOUSE_DRAIN_MS', flag: 'drain-ms', default: '30000', help: 'on SIGTERM/SIGINT, time for requests and streams in flight to finish (0: cut at once)' },
  { env: 'GATEHOUSE_GATEWAY_HEADERS_TIMEOUT_MS', flag: 'gateway-headers-timeout-ms', default: '30000', help: 'time a client may take to send request headers (then 408, closed)' },
  { env: 'GATEHOUSE_GATEWAY_BODY_TIMEOUT_MS', flag: 'gateway-body-timeout-ms', default: '60000', help: 'time a request body may go without a byte (then 408)' },
  { env: 'GATEHOUSE_GATEWAY_MAX_CONNECTIONS_PER_ADDRESS', flag: 'gateway-max-connections-per-address', default: '256', help: 'gateway connections open at once from one address; more are closed' },
  ...OPS_SETTINGS,
  ...WEB_SETTINGS,
];

function DEFAULT_UPSTREAMS(): Record<ProviderId, string> {
  return {
    anthropic: 'https://api.anthropic.com',
    openai: 'https://api.openai.com',
    fireworks: 'https://api.fireworks.ai',
    gemini: 'https://generativelanguage.googleapis.com',
  };
}

function bad(setting: string, problem: string): GatehouseError {
  return new GatehouseError('config', `${setting}: ${problem}`);
}

export function parseListen(setting: string, value: string): ListenAddress {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(value) ?? /^([^:]+):(\d+)$/.exec(value);
  if (!m) throw bad(setting, `"${value}" is not HOST:PORT (use [v6addr]:PORT for IPv6)`);
  const port = Number(m[2]);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw bad(setting, `port ${m[2]} is out of range`);
  if (!net.isIP(m[1]) && m[1] !== 'localhost') throw bad(setting, `"${m[1]}" is not an IP address`);
  return { host: m[1], port };
}

function parseCredits(value: string, setting = 'GATEHOUSE_MONTHLY_CREDITS'): number {
  const dollars = Number(value);
  if (!Number.isFinite(dollars) || dollars < 0) throw bad(setting, `"${value}" is not a non-negative number of USD`);
  return Math.round(dollars * 1_000_000);
}

function positiveInt(setting: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw bad(setting, `"${value}" must be a positive whole number`);
  return n;
}

/** A comma list of names (SSH algorithms); undefined when not set. Which names are valid, the SSH room checks. */
function commaList(setting: string, value: string | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  const names = value.split(',').map((s) => s.trim()).filter(Boolean);
  if (names.length === 0) throw bad(setting, 'names nothing');
  if (new Set(names).size !== names.length) throw bad(setting, 'names an algorithm twice');
  return names;
}

function nonNegativeInt(setting: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw bad(setting, `"${value}" must be a whole number, 0 or more`);
  return n;
}

function parseUpstream(setting: string, value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw bad(setting, `"${value}" is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw bad(setting, 'must be an http(s) URL');
  if (url.search || url.hash) throw bad(setting, 'must not have a query or fragment');
  return url.origin + url.pathname.replace(/\/+$/, '');
}

function databaseFrom(value: string | undefined, poolSize: string | undefined, dataDir: string): DatabaseTarget {
  if (!value) return { kind: 'sqlite', file: path.join(dataDir, 'gatehouse.db') };
  if (/^postgres(ql)?:/i.test(value)) {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      // The URL may hold a password: never repeat it.
      throw bad('GATEHOUSE_DATABASE_URL', 'is not a valid postgres:// URL');
    }
    if (!url.hostname && !url.searchParams.get('host')) throw bad('GATEHOUSE_DATABASE_URL', 'names no host');
    try {
      decodeURIComponent(url.username + url.password + url.pathname);
    } catch {
      throw bad('GATEHOUSE_DATABASE_URL', 'has a malformed %-escape (percent-encode a user or password character as %XX)');
    }
    const size = positiveInt('GATEHOUSE_DATABASE_POOL_SIZE', poolSize ?? '10');
    if (size > 1000) throw bad('GATEHOUSE_DATABASE_POOL_SIZE', 'must be at most 1000');
    return { kind: 'postgres', url: value, poolSize: size };
  }
  // Any other URL is a mistake (postgress://, mysql://…), not a file name: refused without echoing
  // it (it may hold a password), rather than creating a directory named after it.
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(value)?.[1];
  if (scheme && scheme.toLowerCase() !== 'sqlite') throw bad('GATEHOUSE_DATABASE_URL', `unsupported scheme "${scheme.slice(0, 20)}:": use postgres:// or postgresql:// for PostgreSQL, or a file path (sqlite:PATH) for SQLite`);
  const file = value.replace(/^sqlite:(\/\/)?/, '');
  if (!file) throw bad('GATEHOUSE_DATABASE_URL', 'names no file');
  return { kind: 'sqlite', file: path.resolve(file) };
}

function chatgptFrom(get: (name: string) => string | undefined): ChatgptConfig {
  const clientId = get('GATEHOUSE_CHATGPT_CLIENT_ID') ?? 'app_EMoamEEZ73f0CkXaXp7hrann';
  if (!/^[\x21-\x7e]{1,200}$/.test(clientId)) throw bad('GATEHOUSE_CHATGPT_CLIENT_ID', 'must be 1–200 printable characters without spaces');
  const loginTimeoutMs = positiveInt('GATEHOUSE_CHATGPT_LOGIN_TIMEOUT_MS', get('GATEHOUSE_CHATGPT_LOGIN_TIMEOUT_MS') ?? '900000');
  // Node's timers hold at most ~24.8 days; a device code lives 15 minutes anyway.
  if (loginTimeoutMs > 3_600_000) throw bad('GATEHOUSE_CHATGPT_LOGIN_TIMEOUT_MS', 'must be at most 3600000 (one hour)');
  return Object.freeze({
    issuer: parseUpstream('GATEHOUSE_CHATGPT_ISSUER', get('GATEHOUSE_CHATGPT_ISSUER') ?? 'https://auth.openai.com'),
    clientId,
    backend: parseUpstream('GATEHOUSE_CHATGPT_BACKEND', get('GATEHOUSE_CHATGPT_BACKEND') ?? 'https://chatgpt.com/backend-api/codex'),
    loginTimeoutMs,
  });
}

/** The database as an operator may see it in logs: the password is never shown. */
export function describeDatabase(target: DatabaseTarget): string {
  if (target.kind === 'sqlite') return `SQLite ${target.file}`;
  const url = new URL(target.url);
  const where = `${url.hostname || url.searchParams.get('host')}${url.port ? `:${url.port}` : ''}${url.pathname}`;
  return `PostgreSQL ${url.username ? `${decodeURIComponent(url.username)}@` : ''}${where} (pool ${target.poolSize})`;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Readonly<Config> {
  const get = (name: string): string | undefined => {
    const v = env[name];
    return v === undefined || v.trim() === '' ? undefined : v.trim();
  };
  const dataDir = path.resolve(get('GATEHOUSE_DATA_DIR') ?? './data');
  const signup = get('GATEHOUSE_SIGNUP') ?? 'open';
  if (signup !== 'open' && signup !== 'closed') throw bad('GATEHOUSE_SIGNUP', `"${signup}" must be open or closed`);
  const defaults = DEFAULT_UPSTREAMS();
  const upstreams = {} as Record<ProviderId, string>;
  const providerKeys: Partial<Record<ProviderId, string>> = {};
  for (const p of PROVIDER_IDS) {
    const up = `GATEHOUSE_${p.toUpperCase()}_UPSTREAM`;
    upstreams[p] = parseUpstream(up, get(up) ?? defaults[p]);
    const key = get(`GATEHOUSE_${p.toUpperCase()}_API_KEY`);
    if (key) providerKeys[p] = key;
  }
  const vmPool = get('GATEHOUSE_VM_POOL') ?? '10.42.0.0/16';
  const tlsCert = get('GATEHOUSE_TLS_CERT');
  const tlsKey = get('GATEHOUSE_TLS_KEY');
  if (Boolean(tlsCert) !== Boolean(tlsKey)) throw bad('GATEHOUSE_TLS_CERT', 'GATEHOUSE_TLS_CERT and GATEHOUSE_TLS_KEY go together');
  const config: Config = {
    dataDir,
    database: databaseFrom(get('GATEHOUSE_DATABASE_URL'), get('GATEHOUSE_DATABASE_POOL_SIZE'), dataDir),
    sshListen: parseListen('GATEHOUSE_SSH_LISTEN', get('GATEHOUSE_SSH_LISTEN') ?? '127.0.0.1:2222'),
    hostKeyFiles: (get('GATEHOUSE_HOST_KEYS') ?? '').split(',').map((s) => s.trim()).filter(Boolean).map((f) => path.resolve(f)),
    gatewayListen: (get('GATEHOUSE_GATEWAY_LISTEN') ?? '127.0.0.1:8080')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)
      .map((s) => parseListen('GATEHOUSE_GATEWAY_LISTEN', s)),
    domain: (get('GATEHOUSE_DOMAIN') ?? 'gatehouse.localhost').toLowerCase().replace(/\.$/, ''),
    signup,
    monthlyCreditsMicros: parseCredits(get('GATEHOUSE_MONTHLY_CREDITS') ?? '20'),
    teamMonthlyCreditsMicros: parseCredits(get('GATEHOUSE_TEAM_MONTHLY_CREDITS') ?? '100', 'GATEHOUSE_TEAM_MONTHLY_CREDITS'),
    secretKey: get('GATEHOUSE_SECRET_KEY'),
    upstreams,
    providerKeys,
    vmPool,
    tlsCert: tlsCert && path.resolve(tlsCert),
    tlsKey: tlsKey && path.resolve(tlsKey),
    modelsFile: get('GATEHOUSE_MODELS') && path.resolve(get('GATEHOUSE_MODELS')!),
    sseKeepaliveMs: 0,
    maxBodyBytes: 0,
    upstreamTimeoutMs: 0,
    metering: (get('GATEHOUSE_METERING') ?? 'on') !== 'off',
    rateLimitRpm: 0,
    rateLimitConcurrent: 0,
    keyRateLimitRpm: 0,
    keyRateLimitConcurrent: 0,
    sshMaxSessionsPerUser: 0,
    sshMaxUnauthenticatedPerAddress: 0,
    sshHandshakeTimeoutMs: 0,
    sshAuthFreeFailures: 0,
    sshAuthDelayMs: 0,
    eventLoopWarnMs: positiveInt('GATEHOUSE_EVENT_LOOP_WARN_MS', get('GATEHOUSE_EVENT_LOOP_WARN_MS') ?? '200'),
    changeCheckMs: positiveInt('GATEHOUSE_CHANGE_CHECK_MS', get('GATEHOUSE_CHANGE_CHECK_MS') ?? '1000'),
    drainMs: nonNegativeInt('GATEHOUSE_DRAIN_MS', get('GATEHOUSE_DRAIN_MS') ?? '30000'),
    gatewayHeadersTimeoutMs: positiveInt('GATEHOUSE_GATEWAY_HEADERS_TIMEOUT_MS', get('GATEHOUSE_GATEWAY_HEADERS_TIMEOUT_MS') ?? '30000'),
    gatewayBodyTimeoutMs: positiveInt('GATEHOUSE_GATEWAY_BODY_TIMEOUT_MS', get('GATEHOUSE_GATEWAY_BODY_TIMEOUT_MS') ?? '60000'),
    gatewayMaxConnectionsPerAddress: positiveInt('GATEHOUSE_GATEWAY_MAX_CONNECTIONS_PER_ADDRESS', get('GATEHOUSE_GATEWAY_MAX_CONNECTIONS_PER_ADDRESS') ?? '256'),
    chatgpt: chatgptFrom(get),
    adminListen: undefined,
    logLevel: 'info',
    logFormat: 'auto',
    auditRetentionDays: 0,
    webListen: undefined,
    publicUrl: undefined,
  };
  if (config.gatewayListen.length === 0) throw bad('GATEHOUSE_GATEWAY_LISTEN', 'names no address');
  Object.assign(config, opsFrom(get, config.gatewayListen, parseListen), webFrom(get, parseListen));
  if (!['on', 'off'].includes(get('GATEHOUSE_METERING') ?? 'on')) throw bad('GATEHOUSE_METERING', 'must be on or off');
  if (config.changeCheckMs > 3_600_000) throw bad('GATEHOUSE_CHANGE_CHECK_MS', 'must be at most 3600000 (an hour)');
  config.sseKeepaliveMs = positiveInt('GATEHOUSE_SSE_KEEPALIVE_MS', get('GATEHOUSE_SSE_KEEPALIVE_MS') ?? '15000');
  config.upstreamTimeoutMs = positiveInt('GATEHOUSE_UPSTREAM_TIMEOUT_MS', get('GATEHOUSE_UPSTREAM_TIMEOUT_MS') ?? '600000');
  config.maxBodyBytes = positiveInt('GATEHOUSE_MAX_BODY_BYTES', get('GATEHOUSE_MAX_BODY_BYTES') ?? String(32 * 1024 * 1024));
  config.rateLimitRpm = positiveInt('GATEHOUSE_RATE_LIMIT_RPM', get('GATEHOUSE_RATE_LIMIT_RPM') ?? '600');
  config.rateLimitConcurrent = positiveInt('GATEHOUSE_RATE_LIMIT_CONCURRENT', get('GATEHOUSE_RATE_LIMIT_CONCURRENT') ?? '128');
  config.keyRateLimitRpm = positiveInt('GATEHOUSE_KEY_RATE_LIMIT_RPM', get('GATEHOUSE_KEY_RATE_LIMIT_RPM') ?? '600');
  config.keyRateLimitConcurrent = positiveInt('GATEHOUSE_KEY_RATE_LIMIT_CONCURRENT', get('GATEHOUSE_KEY_RATE_LIMIT_CONCURRENT') ?? '128');
  config.sshMaxSessionsPerUser = positiveInt('GATEHOUSE_SSH_MAX_SESSIONS_PER_USER', get('GATEHOUSE_SSH_MAX_SESSIONS_PER_USER') ?? '64');
  config.sshMaxUnauthenticatedPerAddress = positiveInt('GATEHOUSE_SSH_MAX_UNAUTHENTICATED_PER_ADDRESS', get('GATEHOUSE_SSH_MAX_UNAUTHENTICATED_PER_ADDRESS') ?? '64');
  config.sshHandshakeTimeoutMs = positiveInt('GATEHOUSE_SSH_HANDSHAKE_TIMEOUT_MS', get('GATEHOUSE_SSH_HANDSHAKE_TIMEOUT_MS') ?? '60000');
  config.sshAuthFreeFailures = positiveInt('GATEHOUSE_SSH_AUTH_FREE_FAILURES', get('GATEHOUSE_SSH_AUTH_FREE_FAILURES') ?? '5');
  config.sshAuthDelayMs = positiveInt('GATEHOUSE_SSH_AUTH_DELAY_MS', get('GATEHOUSE_SSH_AUTH_DELAY_MS') ?? '1000');
  // Node's timers hold at most ~24.8 days, and beyond it fire at once; no sane value comes near.
  if (config.sshHandshakeTimeoutMs > 3_600_000) throw bad('GATEHOUSE_SSH_HANDSHAKE_TIMEOUT_MS', 'must be at most 3600000 (one hour)');
  if (config.sshAuthDelayMs > 60_000) throw bad('GATEHOUSE_SSH_AUTH_DELAY_MS', 'must be at most 60000 (it grows to 8 times that)');
  config.sshKex = commaList('GATEHOUSE_SSH_KEX', get('GATEHOUSE_SSH_KEX'));
  config.sshCiphers = commaList('GATEHOUSE_SSH_CIPHERS', get('GATEHOUSE_SSH_CIPHERS'));
  config.sshMacs = commaList('GATEHOUSE_SSH_MACS', get('GATEHOUSE_SSH_MACS'));
  config.sshHostKeyAlgorithms = commaList('GATEHOUSE_SSH_HOST_KEY_ALGORITHMS', get('GATEHOUSE_SSH_HOST_KEY_ALGORITHMS'));
  config.sshCompression = commaList('GATEHOUSE_SSH_COMPRESSION', get('GATEHOUSE_SSH_COMPRESSION'));
  return Object.freeze(config);
}
