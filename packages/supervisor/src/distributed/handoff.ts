import { checkEncodable, type Actor, type ActorClass, type From } from '@foundation/runtime';

/**
 * The second argument of a child's `init` when it takes over from an instance that ran on
 * another member (`redistribution: 'active'`): what that instance's `handoff()` returned.
 * Write the child's init as `init(args: A, moved?: HandoffInit<S>)`.
 */
export interface HandoffInit<S> {
  readonly handoff: S;
}

/**
 * A child that carries its state when it moves: before the old instance stops (with reason
 * `'handoff'`, so its `terminate('handoff')` runs after), `handoff()` is called and what it
 * returns — encodable: it crosses to the new member — is given to the new instance's init.
 * An actor without this method moves without state.
 */
export interface HandsOff<S> {
  handoff(): S | Promise<S>;
}

/** The call an owner makes to a child it hands over: known by identity (same thread), never sent by anyone else. */
export const HANDOFF_REQUEST: object = Object.freeze({ $dsHandoff: true });

/** What the handoff call answers. */
export interface HandedOver {
  readonly hasState: boolean;
  readonly state: unknown;
}

/** What the wrapped class is spawned with: the spec's args and, on a takeover, the state. */
export interface StartArgs {
  readonly args: unknown;
  readonly handoff?: HandedOver;
}

type Instance = Actor<unknown, unknown, unknown> & Partial<HandsOff<unknown>>;

const wrapped = new WeakMap<ActorClass, ActorClass>();

async function handOver(actor: Instance, log: (msg: string) => void): Promise<HandedOver> {
  let out: HandedOver = { hasState: false, state: undefined };
  if (typeof actor.handoff === 'function') {
    try {
      const state = await actor.handoff();
      checkEncodable(state, 'handoff state');
      out = { hasState: true, state };
    } catch (e) {
      // The child still moves; only its state is lost, and said so.
      log(`handoff() of ${String(actor.self)} failed, moving it without state: ${String(e)}`);
    }
  }
  actor.stop('handoff');
  return out;
}

/**
 * The class a member spawns for a child of class `cls`: `cls` itself, plus the handoff
 * request (answered before the child's own handleCall sees anything) and init's second
 * argument. A subclass, so the child's handlers, schema and name are its own.
 */
export function childClass(cls: ActorClass): ActorClass {
  let w = wrapped.get(cls);
  if (w) return w;
  const Base: new () => Instance = cls;
  // The child's own init, which may take the handoff as a second argument.
  const proto = Base.prototype as { init: (this: Instance, args: unknown, moved?: HandoffInit<unknown>) => void | Promise<void> };
  class Distributed extends Base {
    override init(a: StartArgs): void | Promise<void> {
      return a.handoff?.hasState ? proto.init.call(this, a.args, { handoff: a.handoff.state }) : proto.init.call(this, a.args);
    }
    override handleCall(msg: unknown, from: From) {
      if (msg === HANDOFF_REQUEST) return handOver(this, (m) => console.warn(`[DistributedSupervisor] ${m}`));
      return super.handleCall(msg, from);
    }
  }
  Object.defineProperty(Distributed, 'name', { value: cls.name });
  w = Distributed;
  wrapped.set(cls, w);
  return w;
}
