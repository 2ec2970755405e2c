import { Actor, InitError, isExit, isInspected, publishInspectEvent, type From, type Pid } from '@foundation/runtime';
import type { NormalizedChildSpec } from '../child-spec.js';
import type { CheckedCommon } from '../options.js';
import { addRestart, intensity, type Intensity } from '../intensity.js';
import { initialBackoff, nextDelay, type BackoffState } from '../backoff.js';
import { reachedMaxRestartIntensity, shouldRestart } from '../reasons.js';
import type { SupervisorReport } from '../reports.js';
import { isSupervisorRequest, type SupervisorReply, type SupervisorRequest } from '../protocol.js';
import { stopChildren } from './stop-children.js';

/** One child as a supervisor tracks it. */
export interface ChildRecord {
  readonly spec: NormalizedChildSpec;
  /** The id shown to callers (null for a DynamicSupervisor child given without one). */
  readonly label: string | null;
  pid: Pid | null;
  backoff: BackoffState;
  /** Token of a restart waiting for backoff or retry; null when none is pending. */
  pending: number | null;
  /** Why it last exited or failed to start: named when the supervisor gives up. */
  lastReason: unknown;
}

/** A delayed or retried restart, sent by the supervisor to itself. */
class RetryRestart {
  constructor(readonly token: number) {}
}

/** A new child record for `spec`. */
function childRecord(spec: NormalizedChildSpec, label: string | null, pid: Pid | null): ChildRecord {
  return { spec, label, pid, backoff: initialBackoff, pending: null, lastReason: undefined };
}

/**
 * What Supervisor and DynamicSupervisor share: trapping exits, starting a child linked,
 * stopping children, the restart intensity, backoff and retries, reports, and answering
 * calls. Restarts run inside the handler of the EXIT that caused them, so calls queued
 * meanwhile are answered only after the restart finished.
 */
export abstract class SupervisorBase<Args> extends Actor<SupervisorRequest, SupervisorReply, Args> {
  protected opts!: CheckedCommon;
  private restarts!: Intensity;
  private timers = new Set<unknown>();
  private nextToken = 1;

  /** The children running now, by pid: an EXIT finds its child in O(1) (a mass failure of n children is O(n), not O(n²)). */
  private readonly running = new Map<string, ChildRecord>();

  /** Finds the child running as `pid`. */
  protected byPid(pid: Pid): ChildRecord | undefined {
    const c = this.running.get(pid.key);
    return c !== undefined && c.pid !== null && c.pid.equals(pid) ? c : undefined;
  }

  /** Records that `c` runs as `pid` now (or runs no more, for null): every change of a child's pid goes through here. */
  protected setPid(c: ChildRecord, pid: Pid | null): void {
    if (c.pid !== null && this.running.get(c.pid.key) === c) this.running.delete(c.pid.key);
    c.pid = pid;
    if (pid !== null) this.running.set(pid.key, c);
  }

  /** A new child record, indexed by its pid. */
  protected record(spec: NormalizedChildSpec, label: string | null, pid: Pid | null): ChildRecord {
    const c = childRecord(spec, label, null);
    this.setPid(c, pid);
    return c;
  }
  /** Finds the child waiting for the restart `token`. */
  protected abstract byToken(token: number): ChildRecord | undefined;
  /** Forgets a child (a temporary one that exited, or a deleted one). */
  protected abstract remove(child: ChildRecord): void;
  /** Applies the strategy to restart `child`; resolves with the child that failed to start, if one did. */
  protected abstract restartGroup(child: ChildRecord): Promise<ChildRecord | null>;
  /** Stops every running child (in the order this kind of supervisor uses). */
  protected abstract stopAll(): Promise<void>;
  /** Answers one call; throws a named error to refuse it. */
  protected abstract answer(req: SupervisorRequest): unknown;

  protected setup(opts: CheckedCommon): void {
    this.trapExit = true;
    this.opts = opts;
    this.restarts = intensity(opts.maxRestarts, opts.maxSeconds);
  }

  protected report(r: SupervisorReport): void {
    this.opts.onReport?.(r);
  }

  /** Starts a child record's process again; false (with `lastReason` set) when its start failed. */
  protected async restartRecord(c: ChildRecord): Promise<boolean> {
    const r = await this.startProcess(c.spec, c.label);
    if ('reason' in r) {
      c.lastReason = r.reason;
      return false;
    }
    this.setPid(c, r.pid);
    if (isInspected(this.node, 'restart')) {
      publishInspectEvent(this.node, {
        type: 'restart',
        node: this.node.name,
        supervisor: this.self,
        childId: c.label ?? '',
        pid: r.pid,
        reason: c.lastReason,
        at: Date.now(),
      });
    }
    return true;
  }

  /** Starts `spec` linked to this supervisor, once its init succeeded; never throws. */
  protected async startProcess(spec: NormalizedChildSpec, label: string | null): Promise<{ pid: Pid } | { reason: unknown }> {
    try {
      const pid = await this.spawnAndWait(spec.start[0], spec.start[1], { link: true });
      this.report({ kind: 'started', supervisor: this.self, child: label, pid });
      return { pid };
    } catch (e) {
      const reason = InitError.is(e) ? (e as InitError).reason : e;
      this.report({ kind: 'startError', supervisor: this.self, child: label, reason });
      return { reason };
    }
  }

  /** Stops the running ones of `children` at once (see stopChildren) and reports the ones that ended badly. */
  protected async stopProcesses(children: readonly ChildRecord[]): Promise<void> {
    const running = children.filter((c) => c.pid !== null);
    const byPid = new Map(running.map((c) => [c.pid!.key, c] as const));
    const errors = await stopChildren(
      this,
      this.opts.clock,
      running.map((c) => ({ pid: c.pid!, shutdown: c.spec.shutdown, restart: c.spec.restart })),
    );
    for (const c of running) {
      this.setPid(c, null);
      c.pending = null;
    }
    for (const e of errors) {
      const c = byPid.get(e.child.pid.key);
      this.report({ kind: 'shutdownError', supervisor: this.self, child: c?.label ?? null, pid: e.child.pid, reason: e.reason });
    }
  }

  override async handleCall(msg: SupervisorRequest, _from: From): Promise<SupervisorReply> {
    if (!isSupervisorRequest(msg)) return { ok: false, error: new TypeError(`not a supervisor call: ${String(msg)}`) };
    try {
      return { ok: true, value: await this.answer(msg) };
    } catch (error) {
      return { ok: false, error };
    }
  }

  override async handleInfo(msg: unknown): Promise<void> {
    if (isExit(msg)) {
      const child = this.byPid(msg.from);
      if (child !== undefined) await this.childExited(child, msg.reason);
    } else if (msg instanceof RetryRestart) {
      const child = this.byToken(msg.token);
      if (child !== undefined) {
        child.pending = null;
        await this.restartNow(child);
      }
    }
  }

  override async terminate(_reason: unknown): Promise<void> {
    for (const t of this.timers) this.opts.clock.clearTimeout(t);
    this.timers.clear();
    await this.stopAll();
  }

  /** OTP's do_restart: restart by the child's restart type, or forget a temporary one. */
  private async childExited(child: ChildRecord, reason: unknown): Promise<void> {
    const pid = child.pid!;
    this.setPid(child, null);
    child.lastReason = reason;
    const restart = shouldRestart(child.spec.restart, reason);
    if (restart || child.spec.restart === 'temporary') {
      this.report({ kind: 'childTerminated', supervisor: this.self, child: child.label, pid, reason });
    }
    if (child.spec.restart === 'temporary') this.remove(child);
    if (restart) await this.scheduleRestart(child);
  }

  /** Restarts now, or after the backoff delay when backoff is on. */
  private async scheduleRestart(child: ChildRecord): Promise<void> {
    const b = this.opts.backoff;
    const token = this.nextToken++;
    child.pending = token;
    if (b === null) {
      child.pending = null;
      await this.restartNow(child);
      return;
    }
    const { delayMs, next } = nextDelay(b, b.resetMs, child.backoff, this.opts.clock.now());
    child.backoff = next;
    this.report({ kind: 'backoff', supervisor: this.self, child: child.label, delayMs });
    this.after(delayMs, new RetryRestart(token));
  }

  /** OTP's restart/2: count the restart against the intensity, then apply the strategy. */
  private async restartNow(child: ChildRecord): Promise<void> {
    const { ok, next } = addRestart(this.restarts, this.opts.clock.now());
    this.restarts = next;
    if (!ok) {
      this.report({ kind: 'reachedMaxRestartIntensity', supervisor: this.self, child: child.label, reason: child.lastReason });
      this.stop(reachedMaxRestartIntensity(child.label, child.lastReason));
      return;
    }
    const failed = await this.restartGroup(child);
    if (failed !== null) await this.tryAgain(failed);
  }

  /**
   * A restart whose start failed is tried again through the mailbox (OTP's try_again_restart),
   * so calls and exit signals queued meanwhile are handled first; each try counts against the
   * intensity, and with backoff on, waits its delay.
   */
  private async tryAgain(child: ChildRecord): Promise<void> {
    if (this.opts.backoff !== null) return this.scheduleRestart(child);
    const token = this.nextToken++;
    child.pending = token;
    this.send(this.self, new RetryRestart(token));
  }

  /** Sends `msg` to this supervisor after `ms` on the supervisor's clock. */
  private after(ms: number, msg: unknown): void {
    const clock = this.opts.clock;
    const handle = clock.setTimeout(() => {
      this.timers.delete(handle);
      try {
        this.send(this.self, msg);
      } catch {
        // the node stopped meanwhile: nothing left to restart
      }
    }, ms);
    this.timers.add(handle);
  }
}
