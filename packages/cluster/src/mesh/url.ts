import { MeshOptionsError } from './errors.js';

/** A ws:// or wss:// URL in one canonical spelling, so that one address is one key. */
export function normalizeUrl(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new MeshOptionsError('url', 'a ws:// or wss:// URL', url);
  }
  if (u.protocol !== 'ws:' && u.protocol !== 'wss:') throw new MeshOptionsError('url', 'a ws:// or wss:// URL', url);
  const path = u.pathname === '/' ? '' : u.pathname;
  return `${u.protocol}//${u.host}${path}${u.search}`;
}
