/**
 * A bare `ws` ping-pong between two OS processes: the floor `mesh-call-rtt` is measured against.
 * The far end decodes each small msgpackr message and answers with another (as a call's callee
 * would), with the mesh's socket options (no compression, a zero mask), and nothing else.
 */
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { now } from './harness.js';

/** The little of `ws` used here (ws is the cluster package's dependency, not the benchmarks'). */
interface Socket {
  send(data: Uint8Array): void;
  on(event: 'message', fn: (data: Buffer) => void): void;
  once(event: 'open' | 'error', fn: (e?: Error) => void): void;
  close(): void;
}
interface WsModule {
  WebSocket: new (url: string, opts: object) => Socket;
  WebSocketServer: new (opts: object) => {
    on(event: 'connection', fn: (ws: Socket) => void): void;
    once(event: 'listening', fn: () => void): void;
    address(): { port: number };
  };
}
interface Packr {
  pack(v: unknown): Uint8Array;
  unpack(b: Uint8Array): unknown;
}

/** Same options as the runtime's codec (packages/runtime/src/codec.ts). */
const PACKR_OPTIONS = { structuredClone: true, moreTypes: true };

function load(): { ws: WsModule; packr: Packr } {
  const fromCluster = createRequire(fileURLToPath(import.meta.resolve('@foundation/cluster')));
  const fromRuntime = createRequire(fileURLToPath(import.meta.resolve('@foundation/runtime')));
  const { Packr } = fromRuntime('msgpackr') as { Packr: new (o: object) => Packr };
  return { ws: fromCluster('ws') as WsModule, packr: new Packr(PACKR_OPTIONS) };
}

/** Far end: a ws server on 127.0.0.1 answering each `{ n, msg }` with `{ re: n, value: msg }`; resolves with its port. */
export function rawWsServer(): Promise<number> {
  const { ws, packr } = load();
  const server = new ws.WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
  server.on('connection', (sock) => {
    sock.on('message', (data) => {
      const m = packr.unpack(data) as { n: number; msg: unknown };
      sock.send(packr.pack({ re: m.n, value: m.msg }));
    });
  });
  return new Promise((resolve) => server.once('listening', () => resolve(server.address().port)));
}

/** Near end: a connected client that times round trips. */
export interface RawWsClient {
  /** Round-trip times (µs) of `count` sequential ping-pongs. */
  roundTrips(count: number): Promise<number[]>;
  close(): void;
}

/** Connects to the far end's server. */
export async function rawWsClient(port: number): Promise<RawWsClient> {
  const { ws, packr } = load();
  const sock = new ws.WebSocket(`ws://127.0.0.1:${port}`, { perMessageDeflate: false, generateMask: (m: Buffer) => m.fill(0) });
  await new Promise<void>((resolve, reject) => {
    sock.once('open', () => resolve());
    sock.once('error', reject);
  });
  let waiter: ((b: Buffer) => void) | null = null;
  sock.on('message', (data) => {
    const w = waiter;
    waiter = null;
    w?.(data);
  });
  return {
    async roundTrips(count) {
      const lat: number[] = new Array<number>(count);
      for (let i = 0; i < count; i++) {
        const t0 = now();
        const reply = new Promise<Buffer>((resolve) => (waiter = resolve));
        sock.send(packr.pack({ n: i, msg: i }));
        const r = packr.unpack(await reply) as { re: number };
        if (r.re !== i) throw new Error(`raw ws: answer ${r.re} to ${i}`);
        lat[i] = (now() - t0) * 1000;
      }
      return lat;
    },
    close: () => sock.close(),
  };
}
