import { describe, expect, it } from 'vitest';
import { UnknownOptionError } from '@foundation/runtime';
import {
  CookieRequiredError,
  FoundationOptionError,
  checkFoundationOptions,
  developmentCookie,
  resolveConfig,
  syncIntervalFor,
} from '../src/index.js';

describe('profile detection', () => {
  it('is development with nothing set, on loopback, with mdns and a derived cookie', () => {
    const c = resolveConfig({}, {});
    expect(c).toMatchObject({ profile: 'development', cluster: 'mdns', host: '127.0.0.1', registry: 'local', cache: 'local' });
    expect(c.cookie).toMatch(/^derived/);
    expect(c.cookieValue).toBe(developmentCookie());
    expect(c.reasons.profile).toMatch(/nothing says production/);
  });

  it('FOUNDATION_PROFILE wins over NODE_ENV', () => {
    const c = resolveConfig({}, { FOUNDATION_PROFILE: 'development', NODE_ENV: 'production' });
    expect(c.profile).toBe('development');
    expect(c.reasons.profile).toBe("FOUNDATION_PROFILE is 'development'");
  });

  it('NODE_ENV=production picks production, which needs a cookie', () => {
    expect(() => resolveConfig({}, { NODE_ENV: 'production' })).toThrow(CookieRequiredError);
    const c = resolveConfig({}, { NODE_ENV: 'production', FOUNDATION_COOKIE: 'secret-cookie' });
    expect(c).toMatchObject({
      profile: 'production',
      cluster: 'static',
      host: '0.0.0.0',
      registry: 'distributed',
      supervisor: 'distributed',
      cache: 'partitioned',
      cookie: 'FOUNDATION_COOKIE',
    });
  });

  it('KUBERNETES_SERVICE_HOST picks production with kubernetes discovery', () => {
    const c = resolveConfig({ cookie: 'secret-cookie' }, { KUBERNETES_SERVICE_HOST: '10.0.0.1' });
    expect(c).toMatchObject({ profile: 'production', cluster: 'kubernetes' });
    expect(c.reasons.profile).toMatch(/Kubernetes/);
  });

  it("cluster: 'dns' alone means production; the explicit profile option wins over all", () => {
    expect(resolveConfig({ cluster: 'dns', cookie: 'secret-cookie' }, {}).profile).toBe('production');
    expect(resolveConfig({ profile: 'development' }, { NODE_ENV: 'production', KUBERNETES_SERVICE_HOST: 'x' }).profile).toBe('development');
  });

  it('FOUNDATION_EXPECTED_NODES tunes the sync interval', () => {
    expect(resolveConfig({}, { FOUNDATION_EXPECTED_NODES: '200' }).syncIntervalMs).toBe(syncIntervalFor(200));
    expect(syncIntervalFor(3)).toBeLessThan(syncIntervalFor(20));
    expect(syncIntervalFor(20)).toBeLessThan(syncIntervalFor(200));
    expect(() => resolveConfig({}, { FOUNDATION_EXPECTED_NODES: 'many' })).toThrow(FoundationOptionError);
  });

  it('FOUNDATION_PEERS gives a static production cluster its peers', () => {
    const c = resolveConfig(
      {},
      { FOUNDATION_PROFILE: 'production', FOUNDATION_COOKIE: 'secret-cookie', FOUNDATION_PEERS: 'ws://a:1, ws://b:2' },
    );
    expect(c.peers).toEqual(['ws://a:1', 'ws://b:2']);
  });

  it('a wrong FOUNDATION_PROFILE is a named error', () => {
    expect(() => resolveConfig({}, { FOUNDATION_PROFILE: 'prod' })).toThrow(FoundationOptionError);
  });
});

describe('option checks', () => {
  it('an unknown key throws UnknownOptionError naming where', () => {
    expect(() => checkFoundationOptions({ clusterr: 'dns' })).toThrow(UnknownOptionError);
    expect(() => checkFoundationOptions({ caching: { adaptor: 'local' } })).toThrow(/Foundation.start caching: unknown option 'adaptor'/);
    expect(() => checkFoundationOptions({ processes: { registy: 'local' } })).toThrow(UnknownOptionError);
  });

  it('a wrong value throws FoundationOptionError naming the field', () => {
    expect(() => checkFoundationOptions({ cluster: 'consul' })).toThrow(/cluster must be one of/);
    expect(() => checkFoundationOptions({ caching: { adapter: 'memcached' } })).toThrow(/caching.adapter/);
    expect(() => checkFoundationOptions({ port: 70000 })).toThrow(FoundationOptionError);
    expect(() => checkFoundationOptions({ cookie: 'short' })).toThrow(/cookie/);
    expect(() => checkFoundationOptions({ clustering: { tickMs: 1 } })).toThrow(/clustering.tickMs/);
  });

  it('the development cookie differs between projects', () => {
    expect(developmentCookie('/tmp')).not.toBe(developmentCookie(process.cwd()));
  });
});
