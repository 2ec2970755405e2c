import { isPid as isPidObject, isRef as isRefObject, type Frame, type Pid, type Ref } from '@foundation/runtime';

/*
 * One guard per Frame variant: a frame from another node is checked field by field before the
 * runtime sees it, so a peer with a bug (or a hostile one) cannot feed it a half-formed frame.
 */

type Obj = Record<string, unknown>;
const isObj = (x: unknown): x is Obj => typeof x === 'object' && x !== null && !Array.isArray(x);
const isName = (x: unknown): x is string => typeof x === 'string' && x.length > 0 && x.length <= 1024;
/** A decoded Pid or Ref whose fields are well typed too (the extension reader trusts its input). */
const idOk = (x: Pid | Ref) => typeof x.node === 'string' && Number.isSafeInteger(x.id) && Number.isSafeInteger(x.incarnation);
const isPid = (x: unknown): x is Pid => isPidObject(x) && idOk(x);
const isRef = (x: unknown): x is Ref => isRefObject(x) && idOk(x);
/** Message kinds: 0 info, 1 cast, 2 call. */
const isKind = (x: unknown): x is 0 | 1 | 2 => x === 0 || x === 1 || x === 2;

/** A call's payload must be `{ msg, from: { pid, ref } }`: the runtime replies to `from`. */
function isPayload(kind: number, msg: unknown): boolean {
  if (kind !== 2) return true;
  return isObj(msg) && 'msg' in msg && isObj(msg.from) && isPid(msg.from.pid) && isRef(msg.from.ref);
}

const guards: { [T in Frame['t']]: (f: Obj) => boolean } = {
  msg: (f) => isPid(f.to) && isKind(f.kind) && isPayload(f.kind, f.msg),
  named: (f) => isName(f.name) && isKind(f.kind) && isPayload(f.kind, f.msg),
  reply: (f) => isPid(f.to) && isRef(f.ref) && 'value' in f && typeof f.released === 'boolean',
  link: (f) => isPid(f.from) && isPid(f.to),
  unlink: (f) => isPid(f.from) && isPid(f.to),
  exit: (f) => isPid(f.from) && isPid(f.to) && 'reason' in f && typeof f.link === 'boolean',
  monitor: (f) => isPid(f.from) && (isPid(f.to) || isName(f.to)) && isRef(f.ref),
  demonitor: (f) => (isPid(f.to) || isName(f.to)) && isRef(f.ref),
  down: (f) => isPid(f.to) && isRef(f.ref) && isPid(f.pid) && 'reason' in f,
};

/** True when `x` is a well-formed Frame (every field of its variant present and typed). */
export function isFrame(x: unknown): x is Frame {
  if (!isObj(x) || typeof x.t !== 'string' || !Object.hasOwn(guards, x.t)) return false;
  return guards[x.t as Frame['t']](x);
}
