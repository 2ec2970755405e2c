import { InvalidArgumentError, UnknownOptionError } from './errors.js';

/**
 * The one check of option keys every package uses: `opts` must be undefined or a plain object
 * whose keys are all in `known`; the first other key throws UnknownOptionError naming `where`
 * (the function, e.g. `'Supervisor.start'`) and the known keys. Something that is not an object
 * throws InvalidArgumentError (`<where> options must be an object`).
 */
export function checkKnownOptions(
  where: string,
  opts: unknown,
  known: Iterable<string>,
): asserts opts is Record<string, unknown> | undefined {
  if (opts === undefined) return;
  if (typeof opts !== 'object' || opts === null || Array.isArray(opts)) {
    throw new InvalidArgumentError(`${where} options`, 'an object', opts);
  }
  const keys = [...known];
  for (const key of Object.keys(opts)) {
    if (!keys.includes(key)) throw new UnknownOptionError(where, key, keys);
  }
}
