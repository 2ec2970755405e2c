import type { Pid, Ref } from './pid.js';

/**
 * Frames between nodes: a closed union. Every message, link, monitor and exit signal bound for
 * another node is one of these, handed to the Transport, which must deliver the frames from
 * one node to another in the order they were sent.
 */
export type Frame =
  /** A user message (kind: 0 info, 1 cast, 2 call with `{ msg, from }`). */
  | { t: 'msg'; to: Pid; kind: number; msg: unknown }
  /** A user message to a registered name on the receiving node. */
  | { t: 'named'; name: string; kind: number; msg: unknown }
  /** The reply to a call. */
  | { t: 'reply'; to: Pid; ref: Ref; value: unknown; released: boolean }
  | { t: 'link'; from: Pid; to: Pid }
  | { t: 'unlink'; from: Pid; to: Pid }
  /** An exit signal: from a dying linked process (`link: true`) or from `exit(pid, reason)`. */
  | { t: 'exit'; from: Pid; to: Pid; reason: unknown; link: boolean }
  /** Start monitoring `to` (a pid or a registered name on the receiving node). */
  | { t: 'monitor'; from: Pid; to: Pid | string; ref: Ref }
  | { t: 'demonitor'; to: Pid | string; ref: Ref }
  | { t: 'down'; to: Pid; ref: Ref; pid: Pid; reason: unknown };

/** Frame tags, for validation. */
export const FRAME_TAGS: ReadonlySet<string> = new Set(['msg', 'named', 'reply', 'link', 'unlink', 'exit', 'monitor', 'demonitor', 'down']);

/** What a node gives its transport: where incoming frames and connection events go. */
export interface TransportHost {
  /** This node's name and incarnation. */
  readonly name: string;
  readonly incarnation: number;
  /** A frame arrived from `from`. */
  receive(from: string, frame: Frame): void;
  /** A connection to `name` is up (handshake done). */
  nodeUp(name: string): void;
  /** The connection to `name` is gone; `reason` says why (`'noconnection'` when lost). */
  nodeDown(name: string, reason: unknown): void;
  /** A batch of frames has been handed to `receive`: the node runs the work they made now. */
  batchDone(): void;
  /**
   * Frames were queued for sending, and nothing was queued before them since the last flush:
   * the node calls `flush` before its next process turn (or between turns, see Transport.flush),
   * so they do not wait for other processes' handlers. Optional for a transport to call.
   */
  queued?(): void;
}

/**
 * The one boundary between a node and the others. The runtime never knows what carries the
 * frames: an in-memory network (MemoryNetwork) in tests, the WebSocket mesh in production.
 */
export interface Transport {
  /** Starts carrying frames for `host`; resolves with the URL peers reach this node at. */
  start(host: TransportHost): Promise<string>;
  /**
   * Sends a frame; false (and nothing sent) when `node` is not connected. A message, call or
   * reply frame too large to carry throws FrameTooLargeError (the sender learns at once); an
   * exit or down signal is never refused for its size (shorten its reason instead).
   */
  send(node: string, frame: Frame): boolean;
  /** Connects to the node at `url`; resolves once the connection is up. */
  connect(url: string): Promise<void>;
  /** Closes the connection to `node` (nodedown follows). */
  disconnect(node: string): void;
  /** Names of the connected nodes. */
  nodes(): string[];
  /** Flushes what is queued and closes every connection. */
  stop(): Promise<void>;
  /**
   * Sends what is queued now; optional. The node calls it when a drain of process turns ends,
   * and between two turns after the transport said `host.queued()`.
   */
  flush?(): void;
}
