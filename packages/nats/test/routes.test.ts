import { describe, expect, test } from 'vitest';
import { Routes } from '../src/federation/routes.js';
import { FederationOptionsError } from '../src/index.js';

describe('routes between clusters', () => {
  test('mesh: straight to the destination', () => {
    const r = Routes.check('mesh', ['a', 'b', 'c'], undefined, undefined);
    expect(r.next('a', 'c')).toBe('c');
    expect(r.next('b', 'b')).toBe('b');
  });

  test('hub: spokes reach each other through the hub, the hub reaches each directly', () => {
    const r = Routes.check('hub', ['h', 's1', 's2'], 'h', undefined);
    expect(r.next('s1', 's2')).toBe('h');
    expect(r.next('h', 's2')).toBe('s2');
    expect(r.next('s1', 'h')).toBe('h');
  });

  test('hierarchy: up to the common ancestor, then down', () => {
    //        root
    //      /      \
    //    eu        us
    //   /  \        \
    // fr    de      ny
    const r = Routes.check('hierarchy', ['root', 'eu', 'us', 'fr', 'de', 'ny'], undefined, {
      eu: 'root',
      us: 'root',
      fr: 'eu',
      de: 'eu',
      ny: 'us',
    });
    expect(r.next('fr', 'de')).toBe('eu');
    expect(r.next('eu', 'de')).toBe('de');
    expect(r.next('fr', 'ny')).toBe('eu');
    expect(r.next('eu', 'ny')).toBe('root');
    expect(r.next('root', 'ny')).toBe('us');
    expect(r.next('us', 'ny')).toBe('ny');
    expect(r.next('ny', 'root')).toBe('us');
  });

  test('a topology of the wrong shape is refused, naming the option', () => {
    expect(() => Routes.check('hub', ['a', 'b'], undefined, undefined)).toThrow(FederationOptionsError);
    expect(() => Routes.check('hub', ['a', 'b'], 'z', undefined)).toThrow(/hub/);
    expect(() => Routes.check('mesh', ['a', 'b'], 'a', undefined)).toThrow(/hub/);
    expect(() => Routes.check('hierarchy', ['a', 'b'], undefined, { a: 'b', b: 'a' })).toThrow(/parent/);
    expect(() => Routes.check('hierarchy', ['a', 'b', 'c'], undefined, { a: 'b' })).toThrow(/exactly one/);
    expect(() => Routes.check('hierarchy', ['a', 'b'], undefined, { a: 'x' })).toThrow(/parents/);
  });
});
