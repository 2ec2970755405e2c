/**
 * What must hold after a chaos run, once the faults are undone and the mesh is whole: each a
 * function that throws with what was wrong.
 */
import type { ChaosCluster } from './cluster.js';
import { until } from './faults.js';
import { NAMES, type Tally, type Workload } from './workload.js';

/** Every permanent child runs exactly once across the cluster. */
export async function childrenExactlyOnce(cluster: ChaosCluster, ids: readonly string[], timeoutMs: number): Promise<void> {
  await until(async () => {
    const running = new Map<string, string[]>();
    for (const n of cluster.nodes)
      for (const id of await n.ask<string[]>({ op: 'local' })) running.set(id, [...(running.get(id) ?? []), n.name]);
    const wrong = ids.filter((id) => running.get(id)?.length !== 1).map((id) => `${id}: ${running.get(id)?.join(',') ?? 'nowhere'}`);
    const extra = [...running.keys()].filter((id) => !ids.includes(id));
    if (wrong.length > 0 || extra.length > 0) throw new Error(`children not exactly once: ${[...wrong, ...extra].slice(0, 8).join('; ')}`);
  }, timeoutMs);
}

/** Every registry name has at most one holder, and every node names the same one. */
export async function namesAgree(cluster: ChaosCluster, timeoutMs: number): Promise<Record<string, string[]>> {
  return until(async () => {
    const views = await Promise.all(cluster.nodes.map((n) => n.ask<Record<string, string[]>>({ op: 'names', keys: NAMES })));
    for (const key of NAMES) {
      const first = views[0]![key]!;
      if (first.length > 1) throw new Error(`${key} has ${first.length} holders on ${cluster.nodes[0]!.name}: ${first.join(',')}`);
      views.forEach((v, i) => {
        if (v[key]!.join() !== first.join())
          throw new Error(`${key}: ${cluster.nodes[i]!.name} says ${v[key]!.join(',') || 'none'}, n0 says ${first.join(',') || 'none'}`);
      });
    }
    return views[0]!;
  }, timeoutMs);
}

/**
 * Every acknowledged cache write of `keys` reads back its value (from nodes taken in turn); returns
 * how many were read. `strict: false` waits the same way but returns what is still missing instead of throwing.
 */
export async function writesReadable(
  cluster: ChaosCluster,
  w: Workload,
  keys: readonly string[],
  timeoutMs: number,
  strict = true,
): Promise<{ read: number; missing: string[] }> {
  let left: Array<[string, number]> = keys.map((k) => [k, w.acked.get(k)!]);
  let report: string[] = [];
  await until(
    async () => {
      const missing: Array<[string, number]> = [];
      const seen = new Map<string, string>();
      let i = 0;
      await Promise.all(
        chunk(left, 64).map(async (part) => {
          for (const [key, value] of part) {
            const n = cluster.nodes[i++ % cluster.nodes.length]!;
            const got = await n.request({ op: 'read', key });
            if (!got.ok || got.value !== value) {
              missing.push([key, value]);
              seen.set(key, got.ok ? `read ${String(got.value)} from ${n.name}` : `${got.error} from ${n.name}`);
            }
          }
        }),
      );
      left = missing;
      report = missing.map(([k, v]) => `${k}=${v} (${w.ackedWhere.get(k)}; ${seen.get(k)})`);
      if (missing.length > 0)
        throw new Error(
          `${missing.length} acknowledged writes not readable, e.g. ${missing
            .slice(0, 5)
            .map(([k, v]) => `${k}=${v} (${w.ackedWhere.get(k)}; ${seen.get(k)})`)
            .join('; ')}`,
        );
    },
    timeoutMs,
    1000,
  ).catch((e: unknown) => {
    if (strict) throw e;
  });
  return { read: keys.length - left.length, missing: report };
}

function chunk<T>(xs: T[], n: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += n) out.push(xs.slice(i, i + n));
  return out;
}

/** Every request ended: answered, failed with a named error, or its caller was killed; none unaccounted. */
export function accounted(name: string, t: Tally): void {
  const sum = t.ok + t.failures + t.callerKilled;
  if (sum !== t.made) throw new Error(`${name}: made ${t.made}, accounted ${sum}`);
  for (const err of t.failed.keys())
    if (err === 'Error' || err === '' || err === 'undefined') throw new Error(`${name}: a failure without a named error (${err})`);
}
