import { isPid, type Pid } from '@foundation/runtime';

/** A node's local memberships as they travel: `[group, pids]`, a pid once per join. */
export type GroupList = readonly (readonly [string, readonly Pid[]])[];

/**
 * What scope actors of one scope send each other (OTP pg's protocol):
 * - `discover`: "I am here" — sent to the scope's name on a node at start and on nodeup;
 *   answered with `sync`, and with a `discover` back when the sender was new.
 * - `sync`: the sender's local memberships, whole; replaces what the receiver had for that node.
 * - `join` / `leave`: one change to the sender's local memberships (a pid once per occurrence).
 */
export type ScopeMessage =
  | { readonly pg: 'discover'; readonly scope: string; readonly from: Pid }
  | { readonly pg: 'sync'; readonly scope: string; readonly from: Pid; readonly groups: GroupList }
  | { readonly pg: 'join'; readonly scope: string; readonly from: Pid; readonly group: string; readonly pids: readonly Pid[] }
  | { readonly pg: 'leave'; readonly scope: string; readonly from: Pid; readonly group: string; readonly pids: readonly Pid[] };

const KINDS = new Set(['discover', 'sync', 'join', 'leave']);

const pidList = (x: unknown): boolean => Array.isArray(x) && x.every(isPid);

/** True for a well-formed scope message of `scope` (anything else from the wire is ignored). */
export function isScopeMessage(msg: unknown, scope: string): msg is ScopeMessage {
  if (typeof msg !== 'object' || msg === null) return false;
  const m = msg as Record<string, unknown>;
  if (!KINDS.has(m.pg as string) || m.scope !== scope || !isPid(m.from)) return false;
  switch (m.pg) {
    case 'discover':
      return true;
    case 'sync':
      return (
        Array.isArray(m.groups) && m.groups.every((g) => Array.isArray(g) && g.length === 2 && typeof g[0] === 'string' && pidList(g[1]))
      );
    default:
      return typeof m.group === 'string' && pidList(m.pids);
  }
}

/** The name a scope's actor is registered under on every node. */
export const scopeActorName = (scope: string): string => `pg:${scope}`;
