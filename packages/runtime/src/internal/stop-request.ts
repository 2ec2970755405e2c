/** The call every actor answers by itself by stopping (`stopProcess`): OTP's `gen_server:stop`. */
export const STOP_REQUEST = Object.freeze({ $foundation: 'stop' });

/** True for the stop request (also after it crossed a thread or node). */
export function isStopRequest(msg: unknown): boolean {
  return typeof msg === 'object' && msg !== null && (msg as { $foundation?: unknown }).$foundation === 'stop';
}
