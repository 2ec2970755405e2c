import { Packr, addExtension } from 'msgpackr';
import { Pid, Ref } from './pid.js';

/*
 * The wire codec: msgpackr with structured cloning (Map, Set, Date, BigInt, typed arrays and
 * shared references survive) and extensions for Pid, Ref and Error. Used wherever a message
 * leaves its thread: worker-thread schedulers and the cluster mesh.
 */

/** msgpackr extension type codes used by Foundation. */
export const EXT_PID = 0x46;
export const EXT_REF = 0x47;
export const EXT_ERROR = 0x48;

addExtension({
  Class: Pid,
  type: EXT_PID,
  write(pid: Pid) {
    // A pid leaving its node must be resolvable by id when it comes back.
    const p = pid.proc;
    if (p !== null) p.$k.export(p);
    return [pid.node, pid.id, pid.incarnation];
  },
  read([node, id, incarnation]: [string, number, number]) {
    return new Pid(node, id, incarnation);
  },
});

addExtension({
  Class: Ref,
  type: EXT_REF,
  write: (ref: Ref) => [ref.node, ref.id, ref.incarnation],
  read: ([node, id, incarnation]: [string, number, number]) => new Ref(node, id, incarnation),
});

/** Errors keep name, message, stack, cause and own fields (a CallExitError's `reason`, say). */
addExtension({
  Class: Error,
  type: EXT_ERROR,
  write(e: Error) {
    const fields: Record<string, unknown> = {};
    for (const key of Object.keys(e)) fields[key] = (e as unknown as Record<string, unknown>)[key];
    return { name: e.name, message: e.message, stack: e.stack, cause: e.cause, fields };
  },
  read(o: { name: string; message: string; stack?: string; cause?: unknown; fields: Record<string, unknown> }) {
    const e = new Error(o.message, o.cause === undefined ? undefined : { cause: o.cause });
    Object.assign(e, o.fields);
    Object.defineProperty(e, 'name', { value: o.name, enumerable: false, writable: true, configurable: true });
    if (o.stack !== undefined) e.stack = o.stack;
    return e;
  },
});

const packr = new Packr({ structuredClone: true, moreTypes: true });

/** Encodes a value for another thread or node. */
export function encode(value: unknown): Uint8Array {
  return packr.pack(value);
}

/** Decodes what `encode` produced. */
export function decode(bytes: Uint8Array): unknown {
  return packr.unpack(bytes);
}
