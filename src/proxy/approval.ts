import type { ApprovalAnswer, ApprovalRequest } from '../guard/guard.js';
import { isPlainObject } from './jsonrpc.js';

const MAX_SHOWN = 1200;

/** What the user is shown: the call, the reason it needs approval, and the grant it would run with. */
export function approvalMessage(request: ApprovalRequest): string {
  const args = truncate(JSON.stringify(request.call.args) ?? '{}', MAX_SHOWN);
  const proposed = truncate(JSON.stringify(request.proposed.args) ?? '{}', MAX_SHOWN);
  const lines = [
    `intentguard asks for your approval of a tool call.`,
    `Tool: ${request.call.server}/${request.call.tool}`,
    `Arguments (as the agent sent them): ${args}`,
    `Why approval is needed: ${request.reason}`,
  ];
  if (proposed !== args) lines.push(`If approved it runs with these arguments: ${proposed}`);
  if (request.proposed.scopes.length > 0) lines.push(`Scopes: ${request.proposed.scopes.join(' ')}`);
  lines.push(`Reference: ${request.txn}`);
  return lines.join('\n');
}

/** The `elicitation/create` params for one approval: a form with a single yes/no field. */
export function approvalElicitation(request: ApprovalRequest): Record<string, unknown> {
  return {
    message: approvalMessage(request),
    requestedSchema: {
      type: 'object',
      properties: {
        approve: { type: 'boolean', title: 'Approve this call', description: 'Run the tool call as shown above.', default: false },
      },
      required: ['approve'],
    },
  };
}

/** True when the client declared it can answer form elicitations (`capabilities.elicitation`). */
export function supportsFormElicitation(capabilities: unknown): boolean {
  if (!isPlainObject(capabilities)) return false;
  const e = capabilities.elicitation;
  if (!isPlainObject(e)) return false;
  // 2025-06-18 declares `elicitation: {}`; 2025-11-25 may list modes, and an empty object still means form.
  return e.form !== undefined || e.url === undefined;
}

/** Maps an `elicitation/create` answer to the guard's vocabulary: only an explicit yes approves. */
export function approvalAnswer(result: unknown): ApprovalAnswer {
  if (!isPlainObject(result)) return 'decline';
  if (result.action !== 'accept') return 'decline';
  const content = result.content;
  return isPlainObject(content) && content.approve === true ? 'accept' : 'decline';
}

function truncate(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max)}… (${s.length - max} more characters)`;
}
