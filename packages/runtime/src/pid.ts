import { inspect } from 'node:util';
import type { ProcessCore } from './internal/process.js';

/** What Pid and Ref share: a node name, a number unique on it, and the node's incarnation. */
abstract class NodeScopedId {
  constructor(
    readonly node: string,
    readonly id: number,
    readonly incarnation: number,
  ) {}

  /** True when both are of one kind and name the same thing (same node, id and incarnation). */
  equals(other: unknown): boolean {
    return (
      other === this ||
      (other instanceof NodeScopedId &&
        other.constructor === this.constructor &&
        other.id === this.id &&
        other.node === this.node &&
        other.incarnation === this.incarnation)
    );
  }

  /** How the id prints (`<a.1.7>`, `#Ref<a.1.7>`). */
  abstract toString(): string;

  /** A string that is equal for equal values: for use as a Map key. */
  get key(): string {
    return `${this.node}.${this.id}.${this.incarnation}`;
  }

  toJSON(): string {
    return this.toString();
  }

  [inspect.custom](): string {
    return this.toString();
  }
}

/**
 * A process identifier: which node, which process on it, and which incarnation of that node.
 * `Pid<A>` is the pid of an actor of class `A`: messages to it are type-checked against A's
 * handlers (one class at run time; the argument is a type only).
 * Printable as `<node.id.incarnation>`, comparable with `equals` / `Pid.compare`, and
 * encodable by the wire codec. A pid of a restarted node (new incarnation) never names a
 * process of the new incarnation.
 */
export class Pid<A = unknown> extends NodeScopedId {
  /**
   * Types only, never set: the actor this pid names (`Pid<Counter>` from `spawn(Counter, 0)`),
   * which types `send`, `cast` and `call` on it (see protocol.ts). `Pid` alone is untyped.
   */
  declare readonly '~actor'?: A;

  // The live local process this pid names, while it lives. Private, so that it is neither
  // enumerated, nor compared by deep equality, nor encoded.
  #proc: ProcessCore | null;

  constructor(node: string, id: number, incarnation: number, proc: ProcessCore | null = null) {
    super(node, id, incarnation);
    this.#proc = proc;
  }

  /** @internal */
  get proc(): ProcessCore | null {
    return this.#proc;
  }

  /** @internal */
  set proc(p: ProcessCore | null) {
    this.#proc = p;
  }

  override toString(): string {
    return `<${this.node}.${this.id}.${this.incarnation}>`;
  }

  /** Total order: by node name, then incarnation, then id. */
  static compare(a: Pid<unknown>, b: Pid<unknown>): number {
    if (a.node !== b.node) return a.node < b.node ? -1 : 1;
    if (a.incarnation !== b.incarnation) return a.incarnation - b.incarnation;
    return a.id - b.id;
  }
}

/** A unique reference (monitors, calls, timers), printable as `#Ref<node.id.incarnation>`. */
export class Ref extends NodeScopedId {
  override toString(): string {
    return `#Ref<${this.node}.${this.id}.${this.incarnation}>`;
  }
}

/** True when `x` is a Pid. */
export const isPid = (x: unknown): x is Pid => x instanceof Pid;
/** True when `x` is a Ref. */
export const isRef = (x: unknown): x is Ref => x instanceof Ref;
