// Operations settings (issue 16): the admin listener, the log, audit retention. Kept apart from
// config.ts, which loadConfig() calls into; this file imports nothing from it at run time, so
// either may be loaded first.
import net from 'node:net';
import type { ListenAddress } from './config.js';
import { GatehouseError } from './errors.js';
import type { LogFormat, LogLevel } from './log.js';

export interface OpsConfig {
  /** The admin listener (/metrics, /healthz, /readyz); undefined when `off`. */
  adminListen: ListenAddress | undefined;
  logLevel: LogLevel;
  logFormat: LogFormat;
  /** Audit rows older than this are pruned in the background. */
  auditRetentionDays: number;
}

export const OPS_SETTINGS: { env: string; flag: string; default: string; help: string }[] = [
  { env: 'GATEHOUSE_ADMIN_LISTEN', flag: 'admin-listen', default: '127.0.0.1:9464', help: '/metrics, /healthz, /readyz; off to disable; never an address VMs reach' },
  { env: 'GATEHOUSE_LOG_LEVEL', flag: 'log-level', default: 'info', help: 'trace, debug, info, warn, error or silent' },
  { env: 'GATEHOUSE_LOG_FORMAT', flag: 'log-format', default: 'auto', help: 'json (one object a line), pretty (readable lines), auto: pretty on a terminal' },
  { env: 'GATEHOUSE_AUDIT_RETENTION_DAYS', flag: 'audit-retention-days', default: '365', help: 'audit log rows older than this are deleted' },
];

const LEVELS: readonly LogLevel[] = ['trace', 'debug', 'info', 'warn', 'error', 'silent'];
const FORMATS: readonly LogFormat[] = ['auto', 'json', 'pretty'];

function bad(setting: string, problem: string): GatehouseError {
  return new GatehouseError('config', `${setting}: ${problem}`);
}

/** Reads the operations settings; `parseListen` is config.ts's, passed in to keep the imports one way. */
export function opsFrom(get: (name: string) => string | undefined, gatewayListen: ListenAddress[], parseListen: (setting: string, value: string) => ListenAddress): OpsConfig {
  const admin = get('GATEHOUSE_ADMIN_LISTEN') ?? '127.0.0.1:9464';
  const adminListen = admin.toLowerCase() === 'off' ? undefined : parseListen('GATEHOUSE_ADMIN_LISTEN', admin);
  if (adminListen) checkAdminListen(adminListen, gatewayListen);
  const logLevel = (get('GATEHOUSE_LOG_LEVEL') ?? 'info').toLowerCase() as LogLevel;
  if (!LEVELS.includes(logLevel)) throw bad('GATEHOUSE_LOG_LEVEL', `"${logLevel.slice(0, 20)}" must be one of ${LEVELS.join(', ')}`);
  const logFormat = (get('GATEHOUSE_LOG_FORMAT') ?? 'auto').toLowerCase() as LogFormat;
  if (!FORMATS.includes(logFormat)) throw bad('GATEHOUSE_LOG_FORMAT', `"${logFormat.slice(0, 20)}" must be one of ${FORMATS.join(', ')}`);
  const days = get('GATEHOUSE_AUDIT_RETENTION_DAYS') ?? '365';
  const auditRetentionDays = Number(days);
  // Beyond ~100 years the cutoff date is meaningless; a typo there would keep rows forever silently.
  if (!Number.isInteger(auditRetentionDays) || auditRetentionDays <= 0 || auditRetentionDays > 36_500) throw bad('GATEHOUSE_AUDIT_RETENTION_DAYS', `"${days.slice(0, 20)}" must be a whole number of days, 1 to 36500`);
  return { adminListen, logLevel, logFormat, auditRetentionDays };
}

function isLoopback(host: string): boolean {
  if (host === 'localhost' || host === '::1') return true;
  return net.isIPv4(host) && host.startsWith('127.');
}

function isWildcard(host: string): boolean {
  return host === '0.0.0.0' || host === '::';
}

/** 169.254.0.0/16 and fe80::/10: the metadata-style addresses VMs are given to reach the gateway. */
function isLinkLocal(host: string): boolean {
  if (net.isIPv4(host)) return host.startsWith('169.254.');
  return net.isIPv6(host) && /^fe[89ab][0-9a-f]?:/i.test(host);
}

/**
 * Refuses an admin address a VM could reach: /metrics shows every provider's traffic, and VMs must
 * see nothing but the gateway. Loopback next to a loopback gateway (the defaults) is fine.
 */
export function checkAdminListen(admin: ListenAddress, gateways: ListenAddress[]): void {
  const where = `${admin.host.includes(':') ? `[${admin.host}]` : admin.host}:${admin.port}`;
  const refuse = (why: string) => bad('GATEHOUSE_ADMIN_LISTEN', `${where} ${why}, which VMs reach; use a loopback or management address`);
  if (isLinkLocal(admin.host)) throw refuse('is link-local');
  for (const g of gateways) {
    if (admin.port !== 0 && admin.port === g.port && (admin.host === g.host || isWildcard(admin.host) || isWildcard(g.host))) throw refuse("shares the gateway's address");
    if (admin.host === g.host && !isLoopback(g.host)) throw refuse("shares the gateway's address");
    if (isWildcard(admin.host) && !isLoopback(g.host)) throw refuse('listens on every address, the gateway\'s included');
    if (isWildcard(g.host) && !isLoopback(admin.host)) throw refuse('is reachable where the gateway listens on every address');
  }
}
