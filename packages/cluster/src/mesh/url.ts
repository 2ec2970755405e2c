import { MeshOptionsError } from './errors.js';

/** A ws:// or wss:// URL in one canonical spelling, so that one address is one key. */
export function normalizeUrl(url: string): string {
  const n = tryNormalizeUrl(url);
  if (n === null) throw new MeshOptionsError('url', 'a ws:// or wss:// URL', url);
  return n;
}

/** `normalizeUrl` for data from elsewhere: null, never a throw, when `url` is not a ws:// or wss:// URL. */
export function tryNormalizeUrl(url: unknown): string | null {
  if (typeof url !== 'string') return null;
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return null;
  }
  if ((u.protocol !== 'ws:' && u.protocol !== 'wss:') || u.hostname === '') return null;
  const path = u.pathname === '/' ? '' : u.pathname;
  return `${u.protocol}//${u.host}${path}${u.search}`;
}
