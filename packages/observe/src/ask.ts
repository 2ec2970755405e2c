import type { Node } from '@foundation/runtime';
import type { AgentReply } from './agent.js';
import { AGENT_NAME } from './records.js';
import { NoObserverError } from './errors.js';
import { BadObserveRequestError } from './errors.js';

/** How long a question to an agent may take. */
export const ASK_TIMEOUT_MS = 5000;

/** Asks the observe agent of node `target` (this node's own when it is `node.name`); rejects with NoObserverError or the agent's refusal. */
export async function askAgent(node: Node, target: string, req: Record<string, unknown>): Promise<unknown> {
  let reply: unknown;
  try {
    const to = target === node.name ? AGENT_NAME : { name: AGENT_NAME, node: target };
    reply = await node.call<AgentReply>(to, req, ASK_TIMEOUT_MS);
  } catch (e) {
    throw new NoObserverError(target, e);
  }
  const r = reply as Partial<AgentReply> | null;
  if (typeof r !== 'object' || r === null || typeof r.ok !== 'boolean')
    throw new BadObserveRequestError(`node '${target}' answered no agent reply`, reply);
  if (r.ok) return (r as { value: unknown }).value;
  throw new BadObserveRequestError((r as { error: string }).error, req);
}
