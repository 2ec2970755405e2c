import { InvalidPatternError, InvalidTopicError } from './errors.js';

/**
 * Topics and patterns, AMQP's syntax: segments separated by `.`; in a pattern `*` matches exactly
 * one segment and `#` zero or more. A topic that is broadcast to is literal (no `*` or `#`
 * segment); `*` and `#` inside a longer segment (`ab*`) are refused in both, so a typo never
 * silently becomes a literal.
 */

/** Longest topic or pattern taken, in characters: a bound on what a frame and an index carry. */
export const MAX_TOPIC_LENGTH = 1024;

function basic(text: unknown, field: string): string[] {
  if (typeof text !== 'string') throw new InvalidTopicError(field, 'must be a string', text);
  if (text.length === 0) throw new InvalidTopicError(field, 'must not be empty', text);
  if (text.length > MAX_TOPIC_LENGTH) throw new InvalidTopicError(field, `must be at most ${MAX_TOPIC_LENGTH} characters`, text);
  const segments = text.split('.');
  const empty = segments.indexOf('');
  if (empty >= 0) throw new InvalidTopicError(field, `has an empty segment (segment ${empty + 1})`, text);
  return segments;
}

/** The segments of a topic that is broadcast to; InvalidTopicError when it is not a literal topic. */
export function parseTopic(text: unknown, field: string): string[] {
  // One scan of the string on the path every broadcast takes; the detailed checks only on failure.
  if (typeof text === 'string' && text.length > 0 && text.length <= MAX_TOPIC_LENGTH && !BAD_TOPIC.test(text)) return text.split('.');
  basic(text, field);
  throw new InvalidTopicError(field, "must be a literal topic ('*' and '#' are for subscriptions)", text);
}

/** A wildcard character anywhere, or an empty segment (leading, trailing or doubled dot). */
const BAD_TOPIC = /[*#]|^\.|\.$|\.\./;

/**
 * A subscription's pattern in its canonical form (`#.#` and `#.#.#` are `#`: the same topics
 * match), so that equal patterns share one entry. InvalidTopicError for a non-string, empty or
 * over-long one, InvalidPatternError for a wildcard inside a longer segment.
 */
export function canonicalPattern(text: unknown, field: string): string {
  const segments = basic(text, field);
  const out: string[] = [];
  for (const s of segments) {
    if (s !== '*' && s !== '#' && (s.includes('*') || s.includes('#'))) {
      throw new InvalidPatternError(field, `has '*' or '#' inside the segment '${s}' (wildcards are whole segments)`, text);
    }
    if (s === '#' && out[out.length - 1] === '#') continue;
    out.push(s);
  }
  return out.join('.');
}

/** True when `pattern` has a wildcard segment (else it matches exactly the topic it spells). */
export function isWildcard(pattern: string): boolean {
  return pattern.split('.').some((s) => s === '*' || s === '#');
}
