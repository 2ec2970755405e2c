/**
 * A chat room over @foundation/pubsub across three OS processes on this machine's loopback:
 * node `a` (this process) starts `b` and `c` as child processes that join it through a static
 * peer list. On each node a Member actor subscribes to `room.lobby`, and to `room.side.*` (broadcast
 * there with the `withTopic` dispatcher, so the topic comes along); each says three lines with `broadcastFrom` (so
 * it does not hear itself), and prints what the others said, in each speaker's order. Presence
 * tracks each member in the lobby: every member is told who joins (and would be told who left). Once every
 * member has heard all six lines of the other two it says so on `room.done`; once `a` has heard
 * that from everyone, it stops the children and exits.
 *
 *   pnpm tsx examples/chat.ts
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Actor, Node, type Inbox, type Pid } from '@foundation/runtime';
import { mesh, staticPeers } from '@foundation/cluster';
import { Presence, PubSub, isPresenceDiff, withTopic, type TopicMessage } from '@foundation/pubsub';

const COOKIE = 'chat-example';
const NODES = ['a', 'b', 'c'];
const LINES = 3;

interface Said {
  readonly who: string;
  readonly n: number;
  readonly text: string;
}

/** One chat member: prints what it hears, and tells `report` once it heard everyone else's lines. */
class Member extends Actor<never, never, { report: Pid }> {
  private heard = 0;
  private report!: Pid;

  override init(args: { report: Pid }): void {
    this.report = args.report;
  }

  override handleInfo(msg: unknown): void {
    if (isPresenceDiff(msg)) {
      // Who came and went, as Phoenix.Presence tells it (a member's own join included).
      for (const e of msg.joins) console.log(`[${this.node.name}] + ${e.key} is here`);
      for (const e of msg.leaves) console.log(`[${this.node.name}] - ${e.key} left`);
      return;
    }
    if (isTopicMessage(msg)) {
      // The side rooms, delivered with their topic (the `withTopic` dispatcher).
      console.log(`[${this.node.name}] (mod) ${msg.topic}: ${JSON.stringify(msg.message)}`);
      return;
    }
    const said = msg as Said;
    console.log(`[${this.node.name}] ${said.who}#${said.n}: ${said.text}`);
    if (++this.heard === LINES * (NODES.length - 1)) this.send(this.report, 'heard everyone');
  }
}

const isTopicMessage = (m: unknown): m is TopicMessage => typeof m === 'object' && m !== null && 'topic' in m && 'message' in m;

/** Joins the room on `node`, waits until every other node's member is subscribed, then talks. */
async function chat(node: Node): Promise<{ ps: PubSub; presence: Presence; heard: Promise<unknown>; done: Inbox }> {
  const ps = await PubSub.start(node, { name: 'chat', dispatchers: { withTopic } });
  const presence = await Presence.start(node, { name: 'chat', pubsub: ps });
  const inbox = node.inbox();
  const done = node.inbox();
  await ps.subscribe(done.self, 'room.done');
  const member = node.spawn(Member, { report: inbox.self });
  await ps.subscribe(member, 'room.lobby');
  await ps.subscribe(member, 'room.side.*', { metadata: 'moderation' });
  await presence.track(member, 'room.lobby', `member@${node.name}`, { since: Date.now() });
  const others = NODES.filter((n) => n !== node.name);
  while (ps.nodesFor('room.lobby').length < others.length || ps.nodesFor('room.done').length < others.length) {
    await new Promise((r) => setTimeout(r, 10));
  }
  for (let n = 1; n <= LINES; n++)
    await ps.broadcastFrom(member, 'room.lobby', { who: node.name, n, text: `hello from ${node.name}, line ${n}` });
  await ps.broadcast(`room.side.${node.name}`, `${node.name} was here`, { dispatcher: 'withTopic' });
  const heard = inbox.receive((m) => m === 'heard everyone', 30_000).then(() => ps.broadcast('room.done', node.name));
  return { ps, presence, heard, done };
}

/** A child process: a node that joins the seed, chats, reports, and lives until its stdin closes. */
async function peer(name: string, seed: string): Promise<void> {
  const node = await Node.start({ name, transport: mesh({ cookie: COOKIE, discovery: [staticPeers([seed])] }) });
  process.stdin.on('end', () => void node.stop().then(() => process.exit(0)));
  process.stdin.resume();
  const { heard } = await chat(node);
  await heard;
  console.log(`[${name}] heard everyone`);
}

function startPeer(name: string, seed: string): ChildProcess {
  const file = fileURLToPath(import.meta.url);
  return spawn(process.execPath, [...process.execArgv, file, 'peer', name, seed], { stdio: ['pipe', 'inherit', 'inherit'] });
}

async function main(): Promise<void> {
  const a = await Node.start({ name: 'a', transport: mesh({ cookie: COOKIE }) });
  console.log(`node a at ${a.url}; starting b and c as child processes`);
  const children = [startPeer('b', a.url), startPeer('c', a.url)];
  const exited = children.map((c) => new Promise((r) => (c.exitCode !== null ? r(null) : c.once('exit', r))));
  try {
    const { heard, done, presence } = await chat(a);
    await heard;
    console.log('[a] heard everyone');
    const finished = new Set<unknown>(['a']);
    while (finished.size < NODES.length) finished.add(await done.receive(undefined, 30_000));
    console.log('[a] everyone heard everyone');
    console.log(`[a] in the lobby: ${[...presence.list('room.lobby').keys()].sort().join(', ')}`);
  } finally {
    for (const c of children) c.stdin?.end();
    await Promise.all(exited);
    await a.stop();
  }
  console.log('chat over');
}

const [role, name, seed] = process.argv.slice(2);
if (role === 'peer') await peer(name!, seed!);
else await main();
