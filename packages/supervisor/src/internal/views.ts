import type { ChildCounts, ChildInfo } from '../protocol.js';
import type { ChildRecord } from './base.js';

/** A child as `whichChildren` shows it. */
export function infoOf(c: ChildRecord): ChildInfo {
  return { id: c.label, pid: c.pid, type: c.spec.type, restart: c.spec.restart };
}

/** `countChildren` over a supervisor's children. */
export function countOf(children: Iterable<ChildRecord>): ChildCounts {
  let specs = 0;
  let active = 0;
  let supervisors = 0;
  for (const c of children) {
    specs++;
    if (c.pid !== null) active++;
    if (c.spec.type === 'supervisor') supervisors++;
  }
  return { specs, active, supervisors, workers: specs - supervisors };
}
