/** The message a process that monitors nodes gets when a node connects. */
export interface NodeUpMessage {
  readonly nodeup: string;
}

/** The message a process that monitors nodes gets when a node's connection is gone. */
export interface NodeDownMessage {
  readonly nodedown: string;
  readonly reason: unknown;
}

/** True for `{ nodeup: name }`. */
export function isNodeUp(msg: unknown): msg is NodeUpMessage {
  return typeof msg === 'object' && msg !== null && typeof (msg as NodeUpMessage).nodeup === 'string';
}

/** True for `{ nodedown: name, reason }`. */
export function isNodeDown(msg: unknown): msg is NodeDownMessage {
  return typeof msg === 'object' && msg !== null && typeof (msg as NodeDownMessage).nodedown === 'string';
}
