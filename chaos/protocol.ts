/** What the chaos test and its node processes say to each other over IPC. */

/** A node process's start configuration. */
export interface NodeConfig {
  name: string;
  port: number;
  cookie: string;
  /** Real urls of the other nodes. */
  peers: string[];
  /** Real port of a peer -> the proxy port this node dials it by. */
  routes: Record<number, number>;
}

/** A request to a node process; answered by one Reply with the same id. */
export type Request = { id: number } & (
  | { op: 'call'; to: string; n: number }
  | { op: 'publish'; topic: string; n: number }
  | { op: 'write'; key: string; value: number }
  | { op: 'read'; key: string }
  | { op: 'register'; key: string }
  | { op: 'unregister'; key: string }
  | { op: 'names'; keys: string[] }
  | { op: 'startChildren'; ids: string[] }
  | { op: 'local' }
  | { op: 'stats' }
);

/** The outcome of a request: a value, or the name of the error it failed with. */
export type Reply = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: string; message: string };

/** What `stats` answers. */
export interface NodeStats {
  rss: number;
  nodes: string[];
  members: string[];
  received: number;
}
