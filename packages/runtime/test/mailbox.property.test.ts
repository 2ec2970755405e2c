import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Actor, Node, MailboxFullError, isDown, isExit, type Inbox, type Overflow, type Pid, type ProcessInfo } from '@foundation/runtime';
import { until } from './support.js';

/*
 * Bounded mailboxes. Each round suspends the actor in an async handler (a gate the test
 * opens), so everything sent meanwhile sits in its mailbox; then the gate opens and the
 * actor drains what was kept. System messages (a DOWN, a trapped EXIT) may arrive in the
 * middle of a burst: they are never dropped, and the user messages around them still obey
 * the overflow policy.
 */

/** What the actor handled, in order. */
type Entry = { u: number } | { down: string } | { exit: string };

interface Ctl {
  log: Entry[];
  gate: Promise<void> | null;
  blocked: (() => void) | null;
}

/** Records what it handles; `'block'` suspends it until the test opens `ctl.gate`. */
class Sink extends Actor<unknown, unknown, Ctl> {
  private ctl!: Ctl;

  override init(ctl: Ctl): void {
    this.ctl = ctl;
  }

  override handleCall(msg: unknown): string {
    const { watch, link } = msg as { watch: Pid[]; link: Pid[] };
    for (const p of watch) this.monitor(p);
    for (const p of link) this.link(p);
    return 'ok';
  }

  override handleCast(msg: unknown): void {
    this.ctl.log.push(msg as Entry);
  }

  override handleInfo(msg: unknown): void | Promise<void> {
    if (msg === 'block') {
      this.ctl.blocked?.();
      return this.ctl.gate!;
    }
    if (isDown(msg)) this.ctl.log.push({ down: msg.pid.key });
    else if (isExit(msg)) this.ctl.log.push({ exit: msg.from.key });
    else this.ctl.log.push(msg as Entry);
  }
}

type Via = 'node.send' | 'node.cast' | 'inbox.send' | 'inbox.cast';
/** One event of a burst: a user message, the death of a monitored process (a DOWN), or of a linked one (an EXIT when trapping). */
type Ev = { t: 'user'; via: Via } | { t: 'down' } | { t: 'exit' };

const userEv = fc.constantFrom<Via>('node.send', 'node.cast', 'inbox.send', 'inbox.cast').map((via): Ev => ({ t: 'user', via }));
const burstArb = (system: boolean) =>
  fc.array(
    system
      ? fc.oneof(
          { weight: 8, arbitrary: userEv },
          { weight: 1, arbitrary: fc.constant<Ev>({ t: 'down' }) },
          { weight: 1, arbitrary: fc.constant<Ev>({ t: 'exit' }) },
        )
      : userEv,
    { maxLength: 40 },
  );

const overflowArb = fc.constantFrom<Overflow>('drop_newest', 'drop_oldest', 'reject');

interface Case {
  capacity: number;
  overflow: Overflow;
  trap: boolean;
  rounds: Ev[][];
}

async function runCase({ capacity, overflow, trap, rounds }: Case): Promise<void> {
  const node = await Node.start({ name: 'mbox', shutdownTimeoutMs: 20 });
  try {
    const ctl: Ctl = { log: [], gate: null, blocked: null };
    const pid = node.spawn(Sink, ctl, { mailbox: { capacity, overflow }, trapExit: trap });
    const src = node.inbox();
    const info = async (): Promise<ProcessInfo> => {
      const i = await node.processInfo(pid);
      if (!i) throw new Error('the bounded actor died');
      return i;
    };
    let nextId = 0;
    for (const burst of rounds) {
      const watched: Inbox[] = burst.filter((e) => e.t === 'down').map(() => node.inbox());
      const linked: Inbox[] = burst.filter((e) => e.t === 'exit').map(() => node.inbox());
      await node.call(pid, { watch: watched.map((i) => i.self), link: linked.map((i) => i.self) }, 2000);

      let release!: () => void;
      ctl.gate = new Promise<void>((r) => (release = r));
      const blocked = new Promise<void>((r) => (ctl.blocked = r));
      node.send(pid, 'block');
      await blocked;
      const h0 = (await info()).messagesHandled;
      const d0 = (await info()).messagesDropped;
      const logStart = ctl.log.length;

      const sent: number[] = [];
      const thrown: number[] = [];
      let wi = 0;
      let li = 0;
      for (const ev of burst) {
        if (ev.t === 'down') {
          watched[wi++]!.close(); // the DOWN is queued at once
        } else if (ev.t === 'exit') {
          // A trapping actor gets the EXIT at once; a non-trapping one handles (ignores) the 'normal'
          // signal on its next turn, which must not disturb the suspended handler either.
          linked[li++]!.close();
          await until(() => node.stats().runQueue === 0, 'the exit signal to be handled');
        } else {
          const msg = { u: nextId++ };
          sent.push(msg.u);
          try {
            if (ev.via === 'node.send') node.send(pid, msg);
            else if (ev.via === 'node.cast') node.cast(pid, msg);
            else if (ev.via === 'inbox.send') src.send(pid, msg);
            else src.cast(pid, msg);
          } catch (e) {
            if (!MailboxFullError.is(e)) throw e;
            thrown.push(msg.u);
          }
        }
      }

      release();
      await until(async () => {
        const i = await info();
        return i.mailboxLength === 0 && i.status === 'waiting';
      }, 'the mailbox to drain');
      const h1 = (await info()).messagesHandled;
      const dropped = (await info()).messagesDropped - d0;

      const log = ctl.log.slice(logStart);
      const users = log.flatMap((e) => ('u' in e ? [e.u] : []));
      const downs = log.flatMap((e) => ('down' in e ? [e.down] : []));
      const exits = log.flatMap((e) => ('exit' in e ? [e.exit] : []));

      // System messages are never dropped, whatever the policy.
      expect(downs.sort()).toEqual(watched.map((i) => i.self.key).sort());
      expect(exits.sort()).toEqual(trap ? linked.map((i) => i.self.key).sort() : []);
      // messagesHandled counts exactly what the actor handled after the burst.
      expect(h1 - h0).toBe(log.length);
      // The burst's user messages handled never exceed the capacity.
      expect(users.length).toBeLessThanOrEqual(capacity);

      if (overflow === 'reject') {
        expect(dropped).toBe(0);
        // Exactly the sends that did not throw were delivered, in order; once full, every later send throws.
        expect(users).toEqual(sent.filter((u) => !thrown.includes(u)));
        expect(thrown).toEqual(sent.slice(sent.length - thrown.length));
      } else {
        expect(users.length + dropped).toBe(sent.length);
        expect(thrown).toEqual([]);
        if (overflow === 'drop_newest') expect(users).toEqual(sent.slice(0, users.length));
        else expect(users).toEqual(sent.slice(sent.length - users.length));
      }
      if (watched.length + linked.length === 0) {
        // Without system messages in the way the mailbox keeps exactly `capacity` of them.
        expect(users.length).toBe(Math.min(sent.length, capacity));
        if (overflow === 'reject') expect(thrown).toEqual(sent.slice(capacity));
      }
    }
  } finally {
    await node.stop();
  }
}

const caseArb = (system: boolean) =>
  fc.record({
    capacity: fc.integer({ min: 1, max: 12 }),
    overflow: overflowArb,
    trap: fc.boolean(),
    rounds: fc.array(burstArb(system), { minLength: 1, maxLength: 3 }),
  });

describe('bounded mailbox', () => {
  it('handled + dropped = sent; drop_newest keeps the oldest, drop_oldest the newest; reject throws for exactly the overflowing sends', async () => {
    await fc.assert(fc.asyncProperty(caseArb(false), runCase), {
      numRuns: 150,
      interruptAfterTimeLimit: 15_000,
      markInterruptAsFailure: true,
    });
  });

  it('DOWN and EXIT messages are never dropped, and the policy still holds for the user messages around them', async () => {
    await fc.assert(fc.asyncProperty(caseArb(true), runCase), {
      numRuns: 150,
      interruptAfterTimeLimit: 15_000,
      markInterruptAsFailure: true,
    });
  });
});
