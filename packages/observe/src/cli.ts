import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';
import { Node, describeValue } from '@foundation/runtime';
import { mesh } from '@foundation/cluster';
import { Observer } from './observer.js';
import { clusterView, type ClusterView } from './cluster-view.js';
import { askAgent } from './ask.js';
import { parsePid, type ProcessRow, type TraceRecord } from './records.js';
import { trace } from './trace.js';

/** What the CLI writes to: its output (results) and its progress and errors (stderr). */
export interface CliIo {
  out(line: string): void;
  err(line: string): void;
}

const USAGE = `usage: foundation <command> [options]
  start   --name <node> [--port <p>] [--host <h>] [--http-port <p>] [--token <t>] [--join <url>] [--run <module>]
          start a node with an observer (dashboard and /metrics on 127.0.0.1); runs until SIGINT/SIGTERM
  dashboard --url <url> [--http-port <p>] [--token <t>]
                                      serves the dashboard of a running cluster (on 127.0.0.1)
  nodes   --url <url>                 the cluster's nodes, their processes and links
  ps      --url <url> [--node <n>] [--limit <n>] [--watch <ms>]
                                      processes sorted by mailbox depth, then message rate
  info    --url <url> <pid>           one process
  kill    --url <url> <pid>           kills a process (exit reason 'kill')
  trace   --url <url> <name> [--duration <ms>]
                                      a name's sends, receives and calls on every node
The cluster's cookie: --cookie <c> or FOUNDATION_COOKIE.`;

/** A usage mistake: the message says what was wrong. */
class UsageError extends Error {}

/** Runs the `foundation` command line; resolves with the exit code. */
export async function runCli(argv: string[], io: CliIo = { out: (l) => console.log(l), err: (l) => console.error(l) }): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        url: { type: 'string' },
        cookie: { type: 'string' },
        name: { type: 'string' },
        port: { type: 'string' },
        host: { type: 'string' },
        'http-port': { type: 'string' },
        token: { type: 'string' },
        join: { type: 'string' },
        run: { type: 'string' },
        node: { type: 'string' },
        limit: { type: 'string' },
        watch: { type: 'string' },
        duration: { type: 'string' },
        help: { type: 'boolean' },
      },
    });
  } catch (e) {
    io.err(`${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  const { values: o, positionals } = parsed;
  const [cmd, arg] = positionals;
  if (o.help || cmd === undefined) {
    io.out(USAGE);
    return cmd === undefined && !o.help ? 2 : 0;
  }
  try {
    const cookie = o.cookie ?? process.env.FOUNDATION_COOKIE;
    if (cookie === undefined || cookie === '') throw new UsageError('the cluster cookie is needed: --cookie or FOUNDATION_COOKIE');
    if (cmd === 'start') return await start(io, cookie, o);
    const url = o.url;
    if (url === undefined) throw new UsageError(`${cmd} needs --url <a node's mesh url>`);
    const node = await join(io, url, cookie);
    try {
      switch (cmd) {
        case 'dashboard': {
          const obs = await Observer.start(node, {
            http: { port: int(o['http-port'], 'http-port', 0), ...(o.token !== undefined ? { token: o.token } : {}) },
          });
          io.out(`dashboard ${obs.url}`);
          await until(null);
          await obs.stop();
          return 0;
        }
        case 'nodes':
          printNodes(io, await clusterView(node, null, node.nodes()));
          return 0;
        case 'ps':
          return await ps(io, node, o.node, int(o.limit, 'limit', 20), o.watch === undefined ? 0 : int(o.watch, 'watch', 0));
        case 'info':
        case 'kill': {
          if (arg === undefined) throw new UsageError(`${cmd} needs a pid, as <node.id.incarnation>`);
          const pid = parsePid(arg);
          const value = await askAgent(node, pid.node, { op: cmd, pid });
          if (cmd === 'kill') io.out(`killed ${pid}`);
          else if (value === null) {
            io.err(`${pid}: no such process`);
            return 1;
          } else printInfo(io, value as ProcessRow);
          return 0;
        }
        case 'trace': {
          if (arg === undefined) throw new UsageError('trace needs a registered name');
          const t = await trace(node, arg, { nodes: node.nodes() });
          io.err(`tracing '${arg}' on ${t.nodes.join(', ')}${o.duration ? ` for ${o.duration} ms` : ' (Ctrl-C to stop)'}…`);
          t.onRecord((r) => io.out(formatRecord(r)));
          await until(o.duration === undefined ? null : int(o.duration, 'duration', 0));
          await t.stop();
          return 0;
        }
        default:
          throw new UsageError(`unknown command '${cmd}'`);
      }
    } finally {
      await node.stop();
    }
  } catch (e) {
    io.err(e instanceof UsageError ? `${e.message}\n${USAGE}` : `foundation ${cmd}: ${e instanceof Error ? e.message : describeValue(e)}`);
    return e instanceof UsageError ? 2 : 1;
  }
}

function int(v: string | undefined, name: string, dflt: number): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`--${name} takes a whole number, got '${v}'`);
  return n;
}

/** Resolves after `ms`, or at SIGINT/SIGTERM when `ms` is null. */
function until(ms: number | null): Promise<void> {
  return new Promise((done) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      if (timer !== null) clearTimeout(timer);
      done();
    };
    const timer = ms === null ? null : setTimeout(stop, ms);
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

/** Joins the cluster at `url` as a short-lived node of its own, and waits for the mesh to introduce the others. */
async function join(io: CliIo, url: string, cookie: string): Promise<Node> {
  io.err(`connecting to ${url}…`);
  const node = await Node.start({ name: `foundation-cli-${process.pid}`, transport: mesh({ cookie, port: 0 }) });
  try {
    await node.connect(url);
    // The node at url gossips its peers; the count settles within a few ticks.
    let seen = -1;
    for (let i = 0; i < 40 && seen !== node.nodes().length; i++) {
      seen = node.nodes().length;
      await new Promise((r) => setTimeout(r, 100));
    }
    io.err(`connected: ${node.nodes().join(', ')}`);
    return node;
  } catch (e) {
    await node.stop();
    throw e;
  }
}

async function start(io: CliIo, cookie: string, o: Record<string, string | boolean | undefined>): Promise<number> {
  if (typeof o.name !== 'string') throw new UsageError('start needs --name');
  const join = typeof o.join === 'string' ? [o.join] : [];
  const { staticPeers } = await import('@foundation/cluster');
  const node = await Node.start({
    name: o.name,
    transport: mesh({
      cookie,
      port: int(o.port as string | undefined, 'port', 0),
      host: (o.host as string | undefined) ?? '127.0.0.1',
      discovery: join.length > 0 ? [staticPeers(join)] : [],
    }),
  });
  const obs = await Observer.start(node, {
    http: { port: int(o['http-port'] as string | undefined, 'http-port', 0), ...(typeof o.token === 'string' ? { token: o.token } : {}) },
  });
  if (typeof o.run === 'string') {
    const mod = (await import(pathToFileURL(resolve(o.run)).href)) as { default?: (node: Node) => unknown };
    if (typeof mod.default !== 'function') throw new UsageError(`--run ${o.run}: the module has no default export function(node)`);
    await mod.default(node);
  }
  io.out(`node ${node.name} at ${node.url} dashboard ${obs.url}`);
  await until(null);
  io.err(`stopping ${node.name}…`);
  await obs.stop();
  await node.stop();
  return 0;
}

function printNodes(io: CliIo, v: ClusterView): void {
  io.out(pad(['NODE', 'PROCESSES', 'RUN QUEUE', 'DEAD LETTERS', 'PEERS'], [16, 10, 10, 13]));
  for (const n of v.nodes) {
    io.out(
      pad([n.node, String(n.stats.processes), String(n.stats.runQueue), String(n.stats.deadLetters), n.peers.join(',')], [16, 10, 10, 13]),
    );
  }
  for (const n of v.unreachable) io.out(pad([n, '?', '?', '?', '(no observer)'], [16, 10, 10, 13]));
}

async function ps(io: CliIo, node: Node, only: string | undefined, limit: number, watchMs: number): Promise<number> {
  let view: ClusterView | null = null;
  for (;;) {
    view = await clusterView(node, view, only !== undefined ? [only] : node.nodes());
    const rows = view.nodes.flatMap((n) => n.processes);
    rows.sort((a, b) => b.mailbox - a.mailbox || b.rate - a.rate);
    if (watchMs > 0) io.out('\x1b[2J\x1b[H');
    io.out(pad(['PID', 'PROCESS', 'STATUS', 'MAILBOX', 'MSGS/S', 'HANDLED'], [28, 24, 13, 8, 9]));
    for (const p of rows.slice(0, limit)) {
      io.out(pad([p.pid, p.name ?? p.className, p.status, String(p.mailbox), p.rate.toFixed(1), String(p.handled)], [28, 24, 13, 8, 9]));
    }
    if (watchMs === 0) return 0;
    if (await Promise.race([until(watchMs).then(() => false), new Promise<boolean>((r) => process.once('SIGINT', () => r(true)))]))
      return 0;
  }
}

function printInfo(io: CliIo, p: ProcessRow): void {
  const fields: [string, string][] = [
    ['pid', p.pid],
    ['class', p.className],
    ['name', p.name ?? '-'],
    ['status', p.status],
    ['parent', p.parent ?? '-'],
    ['mailbox', String(p.mailbox)],
    ['handled', String(p.handled)],
    ['trap exit', String(p.trapExit)],
    ['links', p.links.join(' ') || '-'],
  ];
  for (const [k, v] of fields) io.out(`${k.padEnd(10)} ${v}`);
}

function formatRecord(r: TraceRecord): string {
  const arrow = r.type === 'send' ? `-> ${r.peer ?? '?'}` : r.peer !== null ? `<- ${r.peer}` : '<-';
  return `${new Date(r.at).toISOString()} ${r.node} ${r.pid} ${r.type} ${r.kind} ${arrow} ${r.msg}`;
}

function pad(cols: string[], widths: number[]): string {
  return cols.map((c, i) => (i < widths.length ? c.padEnd(widths[i]!) : c)).join(' ');
}
