import type { Frame } from './transport.js';

/** @internal
 * The fields of each frame variant, in wire order. A batch of frames travels flat — each
 * frame as its tag followed by its fields, `['msg', to, kind, msg, 'link', from, to, ...]` —
 * which the codec packs about twice as fast as an array of objects (no record per frame).
 */
export const FRAME_FIELDS: Readonly<Record<string, readonly string[] | undefined>> = Object.assign(Object.create(null) as object, {
  msg: ['to', 'kind', 'msg'],
  named: ['name', 'kind', 'msg'],
  reply: ['to', 'ref', 'value', 'released'],
  link: ['from', 'to'],
  unlink: ['from', 'to'],
  exit: ['from', 'to', 'reason', 'link'],
  monitor: ['from', 'to', 'ref'],
  demonitor: ['to', 'ref'],
  down: ['to', 'ref', 'pid', 'reason'],
});

/** @internal Appends `f` flat to `out` (its tag, then its fields in FRAME_FIELDS order). */
export function flattenFrame(f: Frame, out: unknown[]): void {
  const fields = FRAME_FIELDS[f.t]!;
  out.push(f.t);
  const rec = f as unknown as Record<string, unknown>;
  for (let k = 0; k < fields.length; k++) out.push(rec[fields[k]!]);
}

/** @internal
 * The frame whose tag is at `a[i]` of a flat batch, or undefined when the tag is unknown or
 * fields are missing (the caller decides what a bad batch means). Its length is
 * `1 + FRAME_FIELDS[frame.t].length`.
 */
export function unflattenFrame(a: readonly unknown[], i: number): Frame | undefined {
  const t = a[i];
  if (typeof t !== 'string') return undefined;
  const fields = FRAME_FIELDS[t];
  if (fields === undefined || i + fields.length >= a.length) return undefined;
  // Literal shapes for the hot variants: one hidden class each.
  if (t === 'msg') return { t, to: a[i + 1], kind: a[i + 2], msg: a[i + 3] } as Frame;
  if (t === 'named') return { t, name: a[i + 1], kind: a[i + 2], msg: a[i + 3] } as Frame;
  if (t === 'reply') return { t, to: a[i + 1], ref: a[i + 2], value: a[i + 3], released: a[i + 4] } as Frame;
  const f: Record<string, unknown> = { t };
  for (let k = 0; k < fields.length; k++) f[fields[k]!] = a[i + 1 + k];
  return f as Frame;
}
