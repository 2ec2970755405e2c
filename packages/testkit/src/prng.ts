import { InvalidArgumentError } from '@foundation/runtime';

/**
 * A small seeded pseudo-random generator (sfc32, seeded through splitmix32): the one source
 * of choices in a simulation, so that a seed replays a run exactly. Not for cryptography.
 */
export class Prng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  /** @param seed a safe integer; every seed gives its own sequence. */
  constructor(readonly seed: number) {
    if (typeof seed !== 'number' || !Number.isSafeInteger(seed)) throw new InvalidArgumentError('seed', 'a safe integer', seed);
    // splitmix32 spreads the seed's low and high halves over the four words of state.
    let s = (seed >>> 0) ^ Math.imul(Math.floor(seed / 2 ** 32) | 0, 0x9e3779b9);
    const mix = (): number => {
      s = (s + 0x9e3779b9) | 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.a = mix();
    this.b = mix();
    this.c = mix();
    this.d = mix();
    for (let i = 0; i < 12; i++) this.next();
  }

  /** The next 32-bit unsigned integer. */
  next(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** An integer in [0, n), for n in [1, 2^32]. */
  int(n: number): number {
    if (!Number.isSafeInteger(n) || n < 1 || n > 2 ** 32) throw new InvalidArgumentError('n', 'an integer in [1, 2^32]', n);
    // Rejection sampling: no bias toward small values when n does not divide 2^32.
    const limit = 2 ** 32 - (2 ** 32 % n);
    for (;;) {
      const x = this.next();
      if (x < limit) return x % n;
    }
  }
}
