import type { Pid } from '@foundation/runtime';

/**
 * What a supervisor tells its `onReport` hook (OTP's supervisor reports): a child started or
 * restarted (`started`), a child exited when it should not have (`childTerminated`), a child
 * failed to start (`startError`), a child did not stop the way it was asked (`shutdownError`),
 * a restart is delayed by backoff (`backoff`), and the supervisor gives up (`reachedMaxRestartIntensity`).
 */
export type SupervisorReport =
  | { readonly kind: 'started'; readonly supervisor: Pid; readonly child: string | null; readonly pid: Pid }
  | {
      readonly kind: 'childTerminated';
      readonly supervisor: Pid;
      readonly child: string | null;
      readonly pid: Pid;
      readonly reason: unknown;
    }
  | { readonly kind: 'startError'; readonly supervisor: Pid; readonly child: string | null; readonly reason: unknown }
  | { readonly kind: 'shutdownError'; readonly supervisor: Pid; readonly child: string | null; readonly pid: Pid; readonly reason: unknown }
  | { readonly kind: 'backoff'; readonly supervisor: Pid; readonly child: string | null; readonly delayMs: number }
  | { readonly kind: 'reachedMaxRestartIntensity'; readonly supervisor: Pid; readonly child: string | null; readonly reason: unknown };

/** Receives a supervisor's reports; it runs inside the supervisor and must not throw. */
export type ReportHandler = (report: SupervisorReport) => void;
