import type { StandardSchemaV1 } from '../standard-schema.js';
import { describeValue, type MessageIssue } from '../errors.js';
import { Kind } from './mailbox.js';
import type { ProcessCore } from './process.js';
import type { Kernel } from './kernel.js';
import { refuseCall, type CallEnvelope } from './calls.js';
import { isStopRequest } from './stop-request.js';
import { isInitProbe } from './spawn-wait.js';
import { warn } from './warn.js';

/** What `accept` does with a message its addressee's schema refused: nothing more. */
export const REJECTED: unique symbol = Symbol('rejected');

/** The exit reason a refused call's caller sees through its monitor, turned into InvalidMessageError. */
export interface InvalidMessageReason {
  readonly invalidMessage: readonly MessageIssue[];
}

/** True for the reason of a call refused by the callee's message schema. */
export function isInvalidMessageReason(x: unknown): x is InvalidMessageReason {
  return typeof x === 'object' && x !== null && Array.isArray((x as InvalidMessageReason).invalidMessage);
}

// Issues travel back to the caller: a few, short, with string paths (symbols do not encode).
const MAX_ISSUES = 10;
const MAX_TEXT = 200;

function issuesOf(issues: readonly StandardSchemaV1.Issue[]): MessageIssue[] {
  return issues.slice(0, MAX_ISSUES).map((i) => {
    const message = String(i.message).slice(0, MAX_TEXT);
    if (!i.path || i.path.length === 0) return { message };
    return { message, path: i.path.map((seg) => String(typeof seg === 'object' && seg !== null ? seg.key : seg)) };
  });
}

// Classes whose `schema` is not a Standard Schema, warned about once each.
const warned = new WeakSet<object>();

function schemaOf(p: ProcessCore): StandardSchemaV1 | undefined {
  const cls = p.$object().constructor;
  const schema = (cls as { schema?: unknown }).schema;
  if (schema === undefined || schema === null) return undefined;
  if (typeof schema === 'object' && typeof (schema as StandardSchemaV1)['~standard']?.validate === 'function')
    return schema as StandardSchemaV1;
  if (!warned.has(cls)) {
    warned.add(cls);
    warn(
      'FOUNDATION_NOT_A_SCHEMA',
      `${cls.name}.schema is not a Standard Schema (got ${describeValue(schema)}): its messages pass unchecked`,
    );
  }
  return undefined;
}

/** Runs `schema` on `msg`: its output value, or the issues (an async schema or one that throws is an issue). */
function validate(schema: StandardSchemaV1, msg: unknown): { value: unknown } | { issues: MessageIssue[] } {
  try {
    const r = schema['~standard'].validate(msg);
    if (r instanceof Promise) {
      r.catch(() => {}); // its outcome is not waited for: messages are checked in the order they arrive
      return { issues: [{ message: 'the actor’s schema is asynchronous; message schemas must validate synchronously' }] };
    }
    return r.issues ? { issues: issuesOf(r.issues) } : { value: r.value };
  } catch (e) {
    return { issues: [{ message: `the actor’s schema threw: ${describeValue(e).slice(0, MAX_TEXT)}` }] };
  }
}

/**
 * Checks a user message that arrived from another node or thread for process `p` against the
 * `static schema` of its class, if it has one: returns the payload to deliver (with the
 * schema's output as the message), or REJECTED. A rejected send or cast is a dead letter (counted); a
 * rejected call fails its caller with InvalidMessageError. Nothing crashes.
 */
export function checkIncoming(k: Kernel, p: ProcessCore, kind: number, payload: unknown): unknown {
  if (kind !== Kind.Info && kind !== Kind.Cast && kind !== Kind.Call) return payload;
  const schema = schemaOf(p);
  if (schema === undefined) return payload;
  const envelope = kind === Kind.Call ? (payload as CallEnvelope) : null;
  const msg = envelope !== null ? envelope.msg : payload;
  // The runtime's own requests (stopProcess, spawnAndWait's probe) are not the actor's messages.
  if (envelope !== null && (isStopRequest(msg) || isInitProbe(msg))) return payload;
  const r = validate(schema, msg);
  if ('value' in r) return envelope !== null ? { msg: r.value, from: envelope.from } : r.value;
  if (envelope !== null) refuseCall(p, envelope, { invalidMessage: r.issues });
  else k.deadLetters++;
  return REJECTED;
}
