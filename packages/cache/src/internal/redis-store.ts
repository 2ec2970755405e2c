import { Redis, type RedisOptions } from 'ioredis';
import { decode, encode } from '@foundation/runtime';
import { CacheUnavailableError, NotAnIntegerError } from '../errors.js';
import type { Backend, Found, KeyRef, PutMode, StoreCounters } from './backend.js';

/** Where the Redis adapter connects. */
export interface RedisTarget {
  readonly host: string;
  readonly port: number;
  readonly db: number;
}

// incr on a msgpack-encoded integer, atomically: Redis's own INCRBY wants a decimal string,
// and every other value here is msgpack (the same codec as the mesh). Lua numbers are doubles:
// the sum is checked to stay a safe integer. KEEPTTL keeps an existing expiry.
const INCR_SCRIPT = `
local raw = redis.call('GET', KEYS[1])
local by = tonumber(ARGV[1])
if not raw then
  if tonumber(ARGV[2]) > 0 then
    redis.call('SET', KEYS[1], cmsgpack.pack(by), 'PX', ARGV[2])
  else
    redis.call('SET', KEYS[1], cmsgpack.pack(by))
  end
  return tostring(by)
end
local ok, n = pcall(cmsgpack.unpack, raw)
if not ok or type(n) ~= 'number' or n ~= math.floor(n) then
  return redis.error_reply('NOTINT')
end
n = n + by
if n > 9007199254740991 or n < -9007199254740991 then return redis.error_reply('NOTINT') end
redis.call('SET', KEYS[1], cmsgpack.pack(n), 'KEEPTTL')
return tostring(n)
`;

// SCAN pages through the cache's keys only (its prefix); a cache shares its Redis with others.
const SCAN_COUNT = 500;

/**
 * @internal The Redis adapter's store (ioredis): values encoded with the runtime's codec, keys
 * `<prefix><canonical key>`. Every command has the cache's timeout (ioredis `commandTimeout`),
 * and a command made while Redis is unreachable fails instead of waiting in ioredis's offline
 * queue past it: an outage is a CacheUnavailableError, never a hang.
 */
export class RedisStore implements Backend {
  private readonly redis: Redis;
  private readonly prefix: string;

  constructor(
    private readonly cache: string,
    target: RedisTarget,
    private readonly timeoutMs: number,
  ) {
    this.prefix = `foundation:cache:${cache}:`;
    const options: RedisOptions = {
      host: target.host,
      port: target.port,
      db: target.db,
      commandTimeout: timeoutMs,
      connectTimeout: timeoutMs,
      maxRetriesPerRequest: 0,
      // Reconnect after an outage (a Redis restart), at most once a second.
      retryStrategy: (times) => Math.min(50 * times, 1000),
      lazyConnect: true,
      // Commands issued in one event-loop turn go out in one write: concurrent callers pipeline by themselves.
      enableAutoPipelining: true,
    };
    this.redis = new Redis(options);
    // ioredis emits 'error' for every failed reconnect: without a listener Node would throw it.
    this.redis.on('error', () => undefined);
    this.redis.defineCommand('foundationIncr', { numberOfKeys: 1, lua: INCR_SCRIPT });
  }

  /** Connects (once), failing with CacheUnavailableError when Redis does not answer in time. */
  async connect(): Promise<void> {
    try {
      await this.redis.connect();
    } catch (e) {
      this.redis.disconnect();
      throw this.failed('connect', e);
    }
  }

  async get(ref: KeyRef): Promise<Found | undefined> {
    const raw = await this.run('get', () => this.redis.getBuffer(this.key(ref)));
    return raw === null ? undefined : { value: decode(raw) };
  }

  async getMany(refs: readonly KeyRef[]): Promise<(Found | undefined)[]> {
    if (refs.length === 0) return [];
    const raws = await this.run('getAll', () => this.redis.mgetBuffer(...refs.map((r) => this.key(r))));
    return raws.map((raw) => (raw === null ? undefined : { value: decode(raw) }));
  }

  async put(ref: KeyRef, value: unknown, ttlMs: number | undefined, mode: PutMode): Promise<boolean> {
    const args: (string | number)[] = [];
    if (ttlMs !== undefined) args.push('PX', Math.ceil(ttlMs));
    if (mode === 'new') args.push('NX');
    if (mode === 'existing') args.push('XX');
    const k = this.key(ref);
    const bytes = bytesOf(value);
    const reply = await this.run('put', () => this.redis.call('SET', k, bytes, ...args));
    return reply === 'OK';
  }

  async putMany(entries: readonly (readonly [KeyRef, unknown])[], ttlMs: number | undefined): Promise<void> {
    if (entries.length === 0) return;
    const multi = this.redis.multi();
    for (const [ref, value] of entries) {
      if (ttlMs === undefined) multi.set(this.key(ref), bytesOf(value));
      else multi.set(this.key(ref), bytesOf(value), 'PX', Math.ceil(ttlMs));
    }
    await this.exec('putAll', multi);
  }

  async delete(ref: KeyRef): Promise<boolean> {
    return (await this.run('delete', () => this.redis.del(this.key(ref)))) > 0;
  }

  async take(ref: KeyRef): Promise<Found | undefined> {
    const raw = await this.run('take', () => this.redis.getdelBuffer(this.key(ref)));
    return raw === null ? undefined : { value: decode(raw) };
  }

  async has(ref: KeyRef): Promise<boolean> {
    return (await this.run('has', () => this.redis.exists(this.key(ref)))) > 0;
  }

  async incr(ref: KeyRef, by: number, ttlMs: number | undefined): Promise<number> {
    const k = this.key(ref);
    try {
      const redis = this.redis as unknown as { foundationIncr(k: string, by: string, ttl: string): Promise<string> };
      const reply = await this.run('incr', () => redis.foundationIncr(k, String(by), String(ttlMs === undefined ? 0 : Math.ceil(ttlMs))));
      return Number(reply);
    } catch (e) {
      if (e instanceof CacheUnavailableError && String((e.cause as Error | undefined)?.message).includes('NOTINT')) {
        const current = await this.get(ref);
        throw new NotAnIntegerError(this.cache, current?.value);
      }
      throw e;
    }
  }

  async ttl(ref: KeyRef): Promise<number | undefined> {
    const ms = await this.run('ttl', () => this.redis.pttl(this.key(ref)));
    if (ms === -2) return undefined;
    return ms === -1 ? Infinity : ms;
  }

  async expire(ref: KeyRef, ttlMs: number | undefined): Promise<boolean> {
    const k = this.key(ref);
    if (ttlMs === undefined) {
      // PERSIST answers 0 both for "absent" and for "had no TTL": EXISTS tells them apart.
      const multi = this.redis.multi().exists(k).persist(k);
      const [[, exists]] = (await this.exec('expire', multi)) as [[unknown, number], [unknown, number]];
      return exists > 0;
    }
    return (await this.run('expire', () => this.redis.pexpire(k, Math.ceil(ttlMs)))) === 1;
  }

  async touch(ref: KeyRef): Promise<boolean> {
    return (await this.run('touch', () => this.redis.touch(this.key(ref)))) > 0;
  }

  async size(): Promise<number> {
    let n = 0;
    await this.scan('size', (keys) => {
      n += keys.length;
    });
    return n;
  }

  async clear(): Promise<number> {
    let n = 0;
    await this.scan('clear', async (keys) => {
      if (keys.length > 0) n += await this.run('clear', () => this.redis.unlink(...keys));
    });
    return n;
  }

  /** Evictions and memory are the Redis server's (INFO): Redis does not account per key prefix. */
  async counters(): Promise<StoreCounters> {
    const info = await this.run('stats', () => this.redis.info());
    const fields = new Map<string, number>();
    for (const line of info.split(/\r?\n/)) {
      const at = line.indexOf(':');
      if (at > 0) fields.set(line.slice(0, at), Number(line.slice(at + 1)));
    }
    const field = (name: string) => fields.get(name) ?? 0;
    return { evictions: field('evicted_keys'), memoryBytes: field('used_memory') };
  }

  async stop(): Promise<void> {
    try {
      await Promise.race([this.redis.quit(), new Promise((resolve) => setTimeout(resolve, this.timeoutMs).unref())]);
    } catch {
      // Already disconnected: nothing to close.
    }
    this.redis.disconnect();
  }

  private key(ref: KeyRef): string {
    return this.prefix + ref.k;
  }

  private async scan(op: string, each: (keys: string[]) => void | Promise<void>): Promise<void> {
    let cursor = '0';
    const pattern = escapeGlob(this.prefix) + '*';
    do {
      const [next, keys] = await this.run(op, () => this.redis.scan(cursor, 'MATCH', pattern, 'COUNT', SCAN_COUNT));
      await each(keys);
      cursor = next;
    } while (cursor !== '0');
  }

  private async exec(op: string, multi: ReturnType<Redis['multi']>): Promise<unknown[]> {
    const replies = await this.run(op, () => multi.exec());
    if (replies === null) throw new CacheUnavailableError(this.cache, op, 'the transaction was aborted');
    const out: unknown[] = [];
    for (const [err, value] of replies) {
      if (err) throw this.failed(op, err);
      out.push([err, value]);
    }
    return out;
  }

  private async run<T>(op: string, command: () => Promise<T>): Promise<T> {
    if (this.redis.status !== 'ready') {
      throw new CacheUnavailableError(this.cache, op, `Redis is not connected (connection ${this.redis.status})`);
    }
    try {
      return await command();
    } catch (e) {
      throw this.failed(op, e);
    }
  }

  private failed(op: string, e: unknown): CacheUnavailableError {
    const message = e instanceof Error ? e.message : String(e);
    return new CacheUnavailableError(this.cache, op, `Redis: ${message}`, { cause: e });
  }
}

/** The codec's bytes as a Buffer (a view, no copy), which ioredis sends as a bulk string. */
function bytesOf(value: unknown): Buffer {
  const u = encode(value);
  return Buffer.from(u.buffer, u.byteOffset, u.byteLength);
}

function escapeGlob(s: string): string {
  return s.replace(/[*?[\]\\]/g, '\\$&');
}
