import type { Clock } from '../clock.js';
import { describeValue } from '../errors.js';
import { warn } from './warn.js';

/** Something that times out: the links are the queue's, `onTimeout` runs when it is due. */
export interface TimeoutEntry {
  $deadline: number;
  $tprev: TimeoutEntry | null;
  $tnext: TimeoutEntry | null;
  $tlist: TimeoutList | null;
  onTimeout(): void;
}

/** How many lists (durations) are kept for reuse once empty. */
const IDLE_LISTS = 64;

/** Entries with one duration, oldest first: their deadlines are in order. */
export class TimeoutList {
  head: TimeoutEntry | null = null;
  tail: TimeoutEntry | null = null;
  timer: unknown = null;
  /** False while the list is empty and its timer is kept armed, unref'd, for the next entry. */
  keepsAlive = false;
  constructor(readonly ms: number) {}
}

/**
 * Timeouts for many pending operations (calls) at the price of one clock timer per distinct
 * duration: entries go into a list per duration (deadlines then come in order), removal is
 * O(1) through intrusive links, and nothing is allocated per entry. Node's own timers work
 * this way too, but each costs a Timeout object. An emptied list is kept for reuse while there
 * are few (the common durations: no allocation per call), and dropped past IDLE_LISTS: a
 * program that uses many distinct durations keeps no list per duration it ever used.
 *
 * An emptied list keeps its timer armed but unref'd (when the clock can unref): a caller that
 * makes one call after another would otherwise clear and re-arm a Node timer per call, which
 * costs more than the rest of the call. The timer then fires once, finds nothing due, and
 * stops. It never keeps the process alive for an empty list.
 */
export class TimeoutQueue {
  private readonly lists = new Map<number, TimeoutList>();

  /** Lists held: those with entries, and at most IDLE_LISTS + 1 empty ones. */
  get size(): number {
    return this.lists.size;
  }

  constructor(private readonly clock: Clock) {}

  add(e: TimeoutEntry, ms: number): void {
    let list = this.lists.get(ms);
    if (list === undefined) this.lists.set(ms, (list = new TimeoutList(ms)));
    e.$deadline = this.clock.now() + ms;
    e.$tlist = list;
    e.$tnext = null;
    e.$tprev = list.tail;
    if (list.tail !== null) list.tail.$tnext = e;
    else list.head = e;
    list.tail = e;
    if (list.timer === null) this.arm(list, ms);
    else if (!list.keepsAlive) this.keepAlive(list, true);
  }

  remove(e: TimeoutEntry): void {
    const list = e.$tlist;
    if (list === null) return;
    if (e.$tprev !== null) e.$tprev.$tnext = e.$tnext;
    else list.head = e.$tnext;
    if (e.$tnext !== null) e.$tnext.$tprev = e.$tprev;
    else list.tail = e.$tprev;
    e.$tprev = e.$tnext = e.$tlist = null;
    if (list.head === null) {
      const drop = this.lists.size > IDLE_LISTS && this.lists.get(list.ms) === list;
      if (drop) this.lists.delete(list.ms);
      // Nothing left to time out: no timer may keep the process alive for it.
      if (list.timer !== null) {
        if (drop || this.clock.refTimer === undefined) {
          this.clock.clearTimeout(list.timer);
          list.timer = null;
        } else this.keepAlive(list, false);
      }
    }
  }

  private arm(list: TimeoutList, ms: number): void {
    list.timer = this.clock.setTimeout(() => this.fire(list), Math.max(0, ms));
    list.keepsAlive = true;
  }

  private keepAlive(list: TimeoutList, on: boolean): void {
    list.keepsAlive = on;
    this.clock.refTimer!(list.timer, on);
  }

  private fire(list: TimeoutList): void {
    list.timer = null;
    list.keepsAlive = false;
    const now = this.clock.now();
    let e = list.head;
    while (e !== null && e.$deadline <= now) {
      this.remove(e);
      try {
        e.onTimeout();
      } catch (err) {
        // One entry's failure must not skip the others due now, nor leave the list unarmed.
        warn('FOUNDATION_TIMER_THREW', `a timeout threw and was dropped: ${describeValue(err)}`);
      }
      e = list.head;
    }
    if (e !== null && list.timer === null) this.arm(list, e.$deadline - now);
  }
}
