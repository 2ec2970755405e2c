import {
  BaseProcess,
  InvalidArgumentError,
  Node,
  checkKnownOptions,
  isPid,
  isRemoteName,
  type Pid,
  type Target,
} from '@foundation/runtime';

/** Checks that `ctx` is a started Node or a process (an actor's `this`, an inbox); returns its node. */
export function checkContext(ctx: unknown, where: string): Node {
  if (ctx instanceof Node) return ctx;
  if (ctx instanceof BaseProcess) return ctx.node;
  throw new InvalidArgumentError(`${where}: ctx`, 'a Node (from Node.start) or a process (an actor, an inbox)', ctx);
}

/** An options object (not undefined) with no key outside `allowed` (UnknownOptionError naming `where`). */
export function checkOptionKeys(opts: unknown, where: string, allowed: readonly string[]): asserts opts is object {
  if (typeof opts !== 'object' || opts === null || Array.isArray(opts))
    throw new InvalidArgumentError(`${where} options`, 'an object', opts);
  checkKnownOptions(where, opts, allowed);
}

/** A registry key: a string or a number (not NaN), compared by value. */
export function checkKey(key: unknown, field = 'key'): void {
  if (typeof key === 'string' || (typeof key === 'number' && !Number.isNaN(key))) return;
  throw new InvalidArgumentError(field, 'a string or a number', key);
}

export function checkPid(pid: unknown, field = 'pid'): asserts pid is Pid {
  if (!isPid(pid)) throw new InvalidArgumentError(field, 'a Pid', pid);
}

/** A pid that lives on `node`'s side (registries and groups hold local processes only). */
export function checkLocalPid(node: Node, pid: unknown, field = 'pid'): asserts pid is Pid {
  checkPid(pid, field);
  if (pid.node !== node.name) {
    throw new InvalidArgumentError(field, `a process on this node ('${node.name}')`, pid);
  }
}

export function checkName(name: unknown, field: string): asserts name is string {
  if (typeof name !== 'string' || name.length === 0) throw new InvalidArgumentError(field, 'a non-empty string', name);
}

/** A message target: a pid, a registered name or `{ name, node }` (not a via-name: it could move). */
export function checkTarget(t: unknown, field: string): asserts t is Target {
  if (isPid(t) || (typeof t === 'string' && t.length > 0) || isRemoteName(t)) return;
  throw new InvalidArgumentError(field, 'a Pid, a registered name or { name, node }', t);
}

/** The options every registry's start takes, checked: `where` names the call in errors. */
export function checkRegistryStart(
  ctx: unknown,
  opts: unknown,
  where: string,
  allowed: readonly string[],
): { node: Node; name: string; keys: 'unique' | 'duplicate'; listeners: Target[] } {
  const node = checkContext(ctx, where);
  checkOptionKeys(opts, where, allowed);
  const o = opts as { name?: unknown; keys?: unknown; listeners?: unknown };
  checkName(o.name, `${where} option name`);
  if (o.keys !== 'unique' && o.keys !== 'duplicate') {
    throw new InvalidArgumentError(`${where} option keys`, "'unique' or 'duplicate'", o.keys);
  }
  const listeners = o.listeners ?? [];
  if (!Array.isArray(listeners)) throw new InvalidArgumentError(`${where} option listeners`, 'an array of targets', listeners);
  listeners.forEach((t, i) => checkTarget(t, `${where} option listeners[${i}]`));
  return { node, name: o.name, keys: o.keys, listeners: [...(listeners as Target[])] };
}
