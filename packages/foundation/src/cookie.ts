import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { hostname, userInfo } from 'node:os';
import { dirname, join, resolve } from 'node:path';

/** The project a process belongs to: the nearest directory at or above `cwd` holding a package.json (else `cwd`). */
export function projectRoot(cwd: string): string {
  let dir = resolve(cwd);
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    const up = dirname(dir);
    if (up === dir) return resolve(cwd);
    dir = up;
  }
}

/**
 * The development cookie: a hash of the machine, the user and the project, so processes of
 * one project on one machine join each other with no configuration, and nothing else does by
 * accident. It is a convenience, not a secret: production must be given a cookie.
 */
export function developmentCookie(cwd: string = process.cwd()): string {
  let user = '';
  try {
    user = userInfo().username;
  } catch {
    // A user without a passwd entry (some containers): the machine and project still scope it.
  }
  return (
    'dev-' +
    createHash('sha256')
      .update(`foundation\0${hostname()}\0${user}\0${projectRoot(cwd)}`)
      .digest('hex')
      .slice(0, 32)
  );
}
