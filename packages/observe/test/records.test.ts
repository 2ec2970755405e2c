import { describe, expect, it } from 'vitest';
import { Pid } from '@foundation/runtime';
import { BadObserveRequestError, BadPidError, parsePid } from '../src/index.js';
import { parseBatch, parseRequest } from '../src/records.js';

describe('records', () => {
  it('reads a pid written as text, and refuses what is not one with BadPidError naming it', () => {
    const pid = parsePid('<a-1.42.77>');
    expect(pid).toBeInstanceOf(Pid);
    expect([pid.node, pid.id, pid.incarnation]).toEqual(['a-1', 42, 77]);
    expect(() => parsePid('<a.42>')).toThrow(BadPidError);
    expect(() => parsePid(42)).toThrow(/got 42/);
  });

  it('parses an agent request or refuses it with BadObserveRequestError', () => {
    expect(parseRequest({ op: 'kill', pid: '<a.3.9>' })).toMatchObject({ op: 'kill' });
    expect(() => parseRequest({ op: 'trace', id: 'x', target: 'svc', collector: new Pid('a', 1, 1), flags: { send: true } })).toThrow(
      BadObserveRequestError,
    );
    expect(() => parseRequest({ op: 'format-disk' })).toThrow(/unknown op/);
    expect(() => parseRequest('snapshot')).toThrow(BadObserveRequestError);
  });

  it('keeps the well-formed records of a trace batch from a peer and drops the others', () => {
    const good = { node: 'b', type: 'receive', pid: '<b.2.1>', kind: 'call', peer: null, msg: "'x'", at: 5 };
    const b = parseBatch({ trace: 't', records: [good, { ...good, type: 'exec' }, { ...good, at: '5' }, null, 'junk'] });
    expect(b).toEqual({ trace: 't', records: [good] });
    expect(parseBatch({ trace: 't' })).toBeNull();
    expect(parseBatch('t')).toBeNull();
  });
});
