/*
 * The dirty pool's worker (see dirty-pool.ts). piscina require()s this file, so it is plain
 * JavaScript with no top-level await, and it is copied into dist as is by the build.
 *
 * A task is { moduleUrl, exportName, input }. The worker imports moduleUrl, calls
 * exportName(input), and answers { ok: true, value } or { ok: false, error }, where error is a
 * plain record of what was thrown: node's structured clone would keep only the message and
 * stack of an error with a name of its own, and none of its fields.
 *
 * Running from TypeScript source (this file sits in src/, or the task module is .ts), it first
 * registers tsx's ESM hooks in this thread: on Node 20 tsx hooks only the main thread.
 */

const fromSource = new URL('.', import.meta.url).pathname.endsWith('/src/');
const TYPESCRIPT = /\.[cm]?ts$/;
const MAX_CAUSES = 8;

let tsx = null;
// import() of a module already loaded still goes through the resolve hooks (tsx's run on
// another thread), so each task module is imported once per worker.
const modules = new Map();

function registerTsx() {
  tsx ??= import('tsx/esm/api').then(
    ({ register }) => {
      register();
    },
    (e) => {
      tsx = null;
      throw Object.assign(new Error(`running a TypeScript task needs tsx, which could not be loaded: ${e.message}`), { cause: e });
    },
  );
  return tsx;
}

/** Runs one task; never throws (a failure is an answer). */
export default async function runTask({ moduleUrl, exportName, input }) {
  try {
    let mod = modules.get(moduleUrl);
    if (mod === undefined) {
      if (fromSource || TYPESCRIPT.test(new URL(moduleUrl).pathname)) await registerTsx();
      mod = await import(moduleUrl);
      modules.set(moduleUrl, mod);
    }
    const fn = mod[exportName];
    if (typeof fn !== 'function') {
      const given = fn === undefined ? 'nothing by that name' : `a ${typeof fn}`;
      throw Object.assign(new Error(`exportName must name a function exported by ${moduleUrl}, got ${given}`), {
        name: 'InvalidArgumentError',
        _tag: 'InvalidArgumentError',
        field: 'exportName',
        expected: `a function exported by ${moduleUrl}`,
        given: exportName,
      });
    }
    return { ok: true, value: await fn(input) };
  } catch (e) {
    return { ok: false, error: thrownRecord(e, 0) };
  }
}

function thrownRecord(e, depth) {
  if (!(e instanceof Error)) return { kind: 'value', value: cloneable(e) ? e : String(e) };
  const fields = {};
  for (const key of Object.keys(e)) {
    if (key === 'cause') continue;
    const v = e[key];
    if (cloneable(v)) fields[key] = v;
  }
  const record = { kind: 'error', name: e.name, message: e.message, stack: e.stack, fields };
  if (e.cause !== undefined && depth < MAX_CAUSES) record.cause = thrownRecord(e.cause, depth + 1);
  return record;
}

function cloneable(v) {
  if (v === null || (typeof v !== 'object' && typeof v !== 'function' && typeof v !== 'symbol')) return true;
  try {
    structuredClone(v);
    return true;
  } catch {
    return false;
  }
}
