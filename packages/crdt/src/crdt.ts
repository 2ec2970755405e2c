import { AWLWWMap } from './awlwwmap.js';
import { AWORSet } from './aworset.js';
import type { HLCOptions } from './hlc.js';
import { InvalidArgumentError } from '@foundation/runtime';
import { InvalidWireError } from './errors.js';

/** The kinds of CRDT a Replicator can hold: a closed union. */
export type CrdtKind = 'aworset' | 'awlwwmap';

/** The CRDTs a Replicator can hold. */
// `any` on purpose: a CRDT of any element type can be replicated.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type ReplicatedCrdt = AWORSet<any> | AWLWWMap<any, any>;

/** True for a CrdtKind. */
export const isCrdtKind = (x: unknown): x is CrdtKind => x === 'aworset' || x === 'awlwwmap';

/** A new empty CRDT of `kind` for `replica`. */
export function createCrdt(kind: CrdtKind, replica: string, hlc?: HLCOptions): ReplicatedCrdt {
  switch (kind) {
    case 'aworset':
      return new AWORSet(replica);
    case 'awlwwmap':
      return new AWLWWMap(replica, hlc);
    default:
      throw new InvalidArgumentError('kind', "'aworset' or 'awlwwmap'", kind);
  }
}

/** Rebuilds a state or delta from its wire form, whatever its kind. */
export function crdtFromWire(w: unknown, replica: string, hlc?: HLCOptions): ReplicatedCrdt {
  const kind = (w as { kind?: unknown } | null)?.kind;
  switch (kind) {
    case 'aworset':
      return AWORSet.fromWire(w, replica);
    case 'awlwwmap':
      return AWLWWMap.fromWire(w, replica, hlc);
    default:
      throw new InvalidWireError('kind', "'aworset' or 'awlwwmap'", kind);
  }
}
