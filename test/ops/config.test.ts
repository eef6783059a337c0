// Issue 16.1 and 16.3: the operations settings. An admin address VMs could reach is refused (it
// shows every provider's traffic); log level and format take their listed values only.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkAdminListen, loadConfig, parseListen, SETTINGS } from '../../src/config.js';
import { tempDir } from '../helpers/gatehouse.js';

const dir = tempDir();
const load = (env: Record<string, string>) => loadConfig({ GATEHOUSE_DATA_DIR: dir, ...env });
const addr = (s: string) => parseListen('X', s);
const refused = (admin: string, gateways: string[]) => assert.throws(() => checkAdminListen(addr(admin), gateways.map(addr)), (err: Error) => err.message.startsWith('GATEHOUSE_ADMIN_LISTEN: ') && /VMs reach; use a loopback or management address/.test(err.message), `${admin} next to ${gateways}`);
const allowed = (admin: string, gateways: string[]) => assert.doesNotThrow(() => checkAdminListen(addr(admin), gateways.map(addr)), `${admin} next to ${gateways}`);

describe('issue 16.1: GATEHOUSE_ADMIN_LISTEN', () => {
  it('issue 16.1: defaults to 127.0.0.1:9464; "off" disables it', () => {
    assert.deepEqual(load({}).adminListen, { host: '127.0.0.1', port: 9464 });
    assert.equal(load({ GATEHOUSE_ADMIN_LISTEN: 'off' }).adminListen, undefined);
    assert.equal(load({ GATEHOUSE_ADMIN_LISTEN: 'OFF' }).adminListen, undefined);
    assert.deepEqual(load({ GATEHOUSE_ADMIN_LISTEN: '[::1]:9000' }).adminListen, { host: '::1', port: 9000 });
  });

  it('issue 16.1: loopback next to a loopback gateway, and a management address next to a metadata-address gateway, are allowed', () => {
    allowed('127.0.0.1:9464', ['127.0.0.1:8080']);
    allowed('127.0.0.1:0', ['127.0.0.1:0']);
    allowed('0.0.0.0:9464', ['127.0.0.1:8080']);
    allowed('10.0.0.5:9464', ['169.254.169.254:80']);
    allowed('127.0.0.1:9464', ['169.254.169.254:80', '[fd00::1]:80']);
    allowed('[::1]:9464', ['0.0.0.0:8080']);
  });

  it('issue 16.1: an address VMs reach is refused with a message naming the setting', () => {
    refused('127.0.0.1:8080', ['127.0.0.1:8080']); // the gateway's own host:port
    refused('169.254.169.254:9464', ['127.0.0.1:8080']); // link-local: where VMs find the gateway
    refused('169.254.10.1:9464', ['10.0.0.1:80']);
    refused('[fe80::1]:9464', ['127.0.0.1:8080']);
    refused('[FE80::1]:9464', ['127.0.0.1:8080']);
    refused('10.0.0.1:9464', ['10.0.0.1:80']); // the gateway's non-loopback host
    refused('0.0.0.0:9464', ['10.0.0.1:80']); // a wildcard binds the gateway's address too
    refused('[::]:9464', ['127.0.0.1:8080', '10.0.0.1:80']);
    refused('10.0.0.5:9464', ['0.0.0.0:80']); // the gateway takes every address: only loopback is safe
    refused('0.0.0.0:80', ['0.0.0.0:80']);
  });

  it('issue 16.1: loadConfig runs the check against the gateway addresses', () => {
    assert.throws(() => load({ GATEHOUSE_GATEWAY_LISTEN: '169.254.169.254:80', GATEHOUSE_ADMIN_LISTEN: '169.254.169.254:9464' }), /GATEHOUSE_ADMIN_LISTEN: 169\.254\.169\.254:9464 is link-local, which VMs reach/);
    assert.throws(() => load({ GATEHOUSE_ADMIN_LISTEN: '127.0.0.1:8080' }), /GATEHOUSE_ADMIN_LISTEN: 127\.0\.0\.1:8080 shares the gateway's address/);
  });

  it('issue 16.1: malformed values are refused', () => {
    for (const v of ['9464', 'localhost', 'example.com:9464', '127.0.0.1:99999', 'on', '127.0.0.1:-1']) assert.throws(() => load({ GATEHOUSE_ADMIN_LISTEN: v }), /GATEHOUSE_ADMIN_LISTEN: /, v);
  });
});

describe('issue 16.3: GATEHOUSE_LOG_LEVEL and GATEHOUSE_LOG_FORMAT', () => {
  it('issue 16.3: defaults info and auto; every listed value is taken (any case)', () => {
    const c = load({});
    assert.equal(c.logLevel, 'info');
    assert.equal(c.logFormat, 'auto');
    for (const level of ['trace', 'debug', 'info', 'warn', 'error', 'silent', 'WARN']) assert.equal(load({ GATEHOUSE_LOG_LEVEL: level }).logLevel, level.toLowerCase());
    for (const format of ['auto', 'json', 'pretty']) assert.equal(load({ GATEHOUSE_LOG_FORMAT: format }).logFormat, format);
  });

  it('issue 16.3: other values are refused, naming the setting and the choices, without echoing a long value', () => {
    for (const level of ['verbose', 'fatal', '10', 'info,debug']) assert.throws(() => load({ GATEHOUSE_LOG_LEVEL: level }), /GATEHOUSE_LOG_LEVEL: ".*" must be one of trace, debug, info, warn, error, silent/, level);
    assert.throws(() => load({ GATEHOUSE_LOG_FORMAT: 'text' }), /GATEHOUSE_LOG_FORMAT: "text" must be one of auto, json, pretty/);
    assert.throws(() => load({ GATEHOUSE_LOG_LEVEL: 'x'.repeat(10_000) }), (err: Error) => err.message.length < 200);
  });
});

describe('issue 16.4: GATEHOUSE_AUDIT_RETENTION_DAYS', () => {
  it('issue 16.4: defaults to 365; whole days from 1 to 36500', () => {
    assert.equal(load({}).auditRetentionDays, 365);
    assert.equal(load({ GATEHOUSE_AUDIT_RETENTION_DAYS: '30' }).auditRetentionDays, 30);
    for (const v of ['0', '-1', '1.5', 'forever', '36501']) assert.throws(() => load({ GATEHOUSE_AUDIT_RETENTION_DAYS: v }), /GATEHOUSE_AUDIT_RETENTION_DAYS: /, v);
  });

  it('issue 16: each new setting has a serve flag', () => {
    for (const env of ['GATEHOUSE_ADMIN_LISTEN', 'GATEHOUSE_LOG_LEVEL', 'GATEHOUSE_LOG_FORMAT', 'GATEHOUSE_AUDIT_RETENTION_DAYS']) assert.ok(SETTINGS.some((s) => s.env === env && s.flag), env);
  });
});
