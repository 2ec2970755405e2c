import { describe, expect, test } from 'vitest';
import { InvalidPatternError, InvalidTopicError, MAX_TOPIC_LENGTH, canonicalPattern, isWildcard, parseTopic } from '@foundation/pubsub';

describe('topics and patterns', () => {
  test('a topic is split into its segments', () => {
    expect(parseTopic('orders.eu.created', 't')).toEqual(['orders', 'eu', 'created']);
    expect(parseTopic('room:lobby', 't')).toEqual(['room:lobby']);
  });

  test('a broadcast topic must be a non-empty literal string without empty segments', () => {
    for (const bad of ['', '.a', 'a.', 'a..b', 'a.*', '#', 'a.b#', 'x'.repeat(MAX_TOPIC_LENGTH + 1), 7, null, undefined, ['a']]) {
      expect(() => parseTopic(bad, 'broadcast(topic, msg): topic')).toThrow(InvalidTopicError);
    }
    const e = (() => {
      try {
        parseTopic('a..b', 'broadcast(topic, msg): topic');
      } catch (err) {
        return err as InvalidTopicError;
      }
    })()!;
    expect(e.message).toBe("broadcast(topic, msg): topic has an empty segment (segment 2), got 'a..b'");
  });

  test('a pattern takes * and # as whole segments only, and # runs collapse', () => {
    expect(canonicalPattern('orders.*.created', 'p')).toBe('orders.*.created');
    expect(canonicalPattern('#.#.a.#.#', 'p')).toBe('#.a.#');
    expect(() => canonicalPattern('a.b*', 'p')).toThrow(InvalidPatternError);
    expect(() => canonicalPattern('a.#b', 'p')).toThrow(InvalidPatternError);
    expect(() => canonicalPattern('', 'p')).toThrow(InvalidTopicError);
    expect(isWildcard('a.*')).toBe(true);
    expect(isWildcard('a.b')).toBe(false);
  });
});
