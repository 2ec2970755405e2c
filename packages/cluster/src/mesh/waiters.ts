import { MeshConnectError } from './errors.js';

/** One `connect()` call waiting for its connection. */
export interface Waiter {
  resolve(): void;
  reject(e: Error): void;
}

/**
 * The `connect(url)` calls waiting for a connection: by the URL dialled, or — once another
 * connection to the same node won a simultaneous dial — by that node's name, for at most
 * `timeoutMs`. Every entry leaves when it settles.
 */
export class ConnectWaiters {
  private readonly byUrl = new Map<string, Waiter[]>();
  private readonly byName = new Map<string, Waiter[]>();

  constructor(private readonly timeoutMs: number) {}

  /** A `connect(url)` waits for the dial of `url`. */
  waitUrl(url: string, w: Waiter): void {
    push(this.byUrl, url, w);
  }

  /** The dial of `url` is up, or it leads to this node or to one already connected. */
  settleUrl(url: string): void {
    const list = this.byUrl.get(url);
    this.byUrl.delete(url);
    for (const w of list ?? []) w.resolve();
  }

  /** The dial of `url` failed. */
  failUrl(url: string, e: Error): void {
    const list = this.byUrl.get(url);
    this.byUrl.delete(url);
    for (const w of list ?? []) w.reject(e);
  }

  /** The dial of `url` lost to another connection to `name`: its waiters wait for that one. */
  moveToName(url: string, name: string, isUp: boolean): void {
    const list = this.byUrl.get(url);
    this.byUrl.delete(url);
    for (const w of list ?? []) {
      if (isUp) w.resolve();
      else this.waitName(name, w);
    }
  }

  /** `name` is up: every waiter for it resolves. */
  nodeUp(name: string): void {
    const list = this.byName.get(name);
    this.byName.delete(name);
    for (const w of list ?? []) w.resolve();
  }

  /** The mesh stops: every waiter rejects with `e`. */
  rejectAll(e: Error): void {
    for (const list of [...this.byUrl.values(), ...this.byName.values()]) for (const w of list) w.reject(e);
    this.byUrl.clear();
    this.byName.clear();
  }

  private waitName(name: string, w: Waiter): void {
    const timer = setTimeout(() => {
      const list = this.byName.get(name);
      const i = list?.indexOf(entry) ?? -1;
      if (i >= 0) list!.splice(i, 1);
      if (list?.length === 0) this.byName.delete(name);
      w.reject(new MeshConnectError(name, `the connection that won a simultaneous dial to '${name}' did not come up`));
    }, this.timeoutMs);
    timer.unref();
    const entry: Waiter = {
      resolve: () => {
        clearTimeout(timer);
        w.resolve();
      },
      reject: (e) => {
        clearTimeout(timer);
        w.reject(e);
      },
    };
    push(this.byName, name, entry);
  }
}

function push<K, V>(m: Map<K, V[]>, k: K, v: V): void {
  const list = m.get(k);
  if (list) list.push(v);
  else m.set(k, [v]);
}
