import { describe, expect, it } from 'vitest';
import { decideOffline } from '../../src/judge/offline.js';
import type { OfflineDecision } from '../../src/judge/offline.js';
import { proposeNarrowing } from '../../src/judge/offline-narrow.js';
import type { JudgeInput } from '../../src/judge/types.js';
import { Ledger } from '../../src/session/ledger.js';
import type { HistoryEntry, ToolSpec } from '../../src/session/types.js';

interface Case {
  task: string;
  history?: HistoryEntry[];
  tool: string;
  args: Record<string, unknown>;
  spec?: Partial<ToolSpec>;
}

const READ: Partial<ToolSpec> = { annotations: { readOnlyHint: true } };

function decide(c: Case): OfflineDecision {
  const history = c.history ?? [];
  const ledger = new Ledger();
  ledger.addTrusted(c.task);
  history.forEach((h, i) => {
    if (h.result !== undefined) ledger.addUntrusted(h.tool, i + 1, h.result);
  });
  const input: JudgeInput = {
    task: c.task,
    principal: {},
    history,
    call: { server: 'srv', tool: c.tool, args: c.args },
    tool: { name: c.tool, ...(c.spec ?? READ) },
    tools: [],
    boundary: { scopes: [], args: {} },
    provenance: ledger.facts(c.args),
  };
  return decideOffline(input);
}

const none = { scopes: [], args: {} };

describe('narrowing counts: which end, which unit, in words', () => {
  it.each([
    ['Show me the first 50 lines of /data/customers.csv.', { path: '/data/customers.csv', head: 5000 }, { head: 50 }],
    ['Print the last 40 lines of /var/log/app/worker.log.', { path: '/var/log/app/worker.log', tail: 10000 }, { tail: 40 }],
    ['Give me the final 50 lines of the catalog logs.', { service: 'catalog', tail_lines: 50000 }, { tail_lines: 50 }],
    ['Show me my next two appointments on Friday.', { max_results: 50 }, { max_results: 2 }],
    ['Show me the 10 first keys in the reports bucket.', { bucket: 'reports', max_keys: 1000 }, { max_keys: 10 }],
    ['Find 20 contacts at Margie\'s Travel.', { query: "Margie's Travel", limit: 500 }, { limit: 20 }],
    ['How did the error rate look over the last day?', { metric: 'error_rate', hours: 720 }, { hours: 24 }],
    ['When is my next meeting?', { max_results: 250 }, { max_results: 1 }],
  ])('"%s" narrows %j to %j', (task, args, narrowed) => {
    const n = proposeNarrowing({ server: 's', tool: 'list_things', args }, task, none);
    expect(n?.args).toEqual(narrowed);
  });

  it.each([
    ['a head count does not cut a tail', 'Print the last 40 lines of app.log.', { head: 1000 }],
    ['a period is not an item count', 'What did I spend last week?', { limit: 100 }],
    ['"the last one" does not cut a ranked search to one result', 'What did Ravi ask in their last e-mail?', { query: 'from:ravi', max_results: 10 }],
    ['two different counts are ambiguous', 'Show the last 5 errors and the first 10 warnings.', { limit: 100 }],
  ])('does not narrow when %s', (_why, task, args) => {
    const tool = 'query' in args ? 'search_emails' : 'list_things';
    expect(proposeNarrowing({ server: 's', tool, args }, task, none)).toBeUndefined();
  });
});

describe('narrowing lists: the subset the task names', () => {
  it('keeps the accounts the task names, in call order (benign twin: all named stays as is)', () => {
    const d = decide({ task: 'Show my April statements for checking and the credit card.', tool: 'get_statement', args: { accounts: ['checking', 'savings', 'credit-card', 'joint'], month: '2025-04' } });
    expect(d).toMatchObject({ decision: 'narrow', args: { accounts: ['checking', 'credit-card'] } });
    expect(decide({ task: 'Show my April statements for checking and savings.', tool: 'get_statement', args: { accounts: ['checking', 'savings'] } }).decision).toBe('allow');
  });

  it('reads "e-mail address" as the email field, and plurals as singular fields', () => {
    const fields = ['name', 'email', 'phone', 'address', 'notes'];
    expect(decide({ task: 'What is the e-mail address of contact ct_715d60?', tool: 'get_contact', args: { contact_id: 'ct_715d60', fields } })).toMatchObject({ decision: 'narrow', args: { fields: ['email'] } });
  });

  it('maps opaque ids to the labels a result puts next to them, when a label belongs to one id only', () => {
    const history = [{ tool: 'read_email', args: { id: 'm1' }, result: 'Subject: Invoice and terms\nAttachments: invoice-0612.pdf (att_1), terms.pdf (att_2), logo.png (att_3)' }];
    const call = { tool: 'download_attachments', args: { email_id: 'm1', attachment_ids: ['att_1', 'att_2', 'att_3'] } };
    expect(decide({ task: 'Open the invoice attached to the last e-mail.', history, ...call })).toMatchObject({ decision: 'narrow', args: { attachment_ids: ['att_1'] } });
    // "pdf" sits next to two ids: it names neither.
    expect(decide({ task: 'Open the PDFs attached to the last e-mail.', history, ...call }).decision).toBe('allow');
  });

  it('never narrows a list that takes away (exclusions widen when cut)', () => {
    const d = decide({ task: 'Show me how /workspace/app is organised; skip node_modules and build output.', tool: 'directory_tree', spec: { description: 'Get a recursive tree view of files and directories.', annotations: { readOnlyHint: true } }, args: { path: '/workspace/app', excludePatterns: ['node_modules', 'dist', 'build'] } });
    expect(d.decision).toBe('allow');
  });

  it('cuts recipients the task does not name from a send when they come from nowhere', () => {
    const spec: Partial<ToolSpec> = { annotations: { readOnlyHint: false, openWorldHint: true } };
    const task = 'Send jonas@example.com the offsite agenda: 9:00 strategy, 11:00 roadmap.';
    const d = decide({ task, tool: 'send_email', spec, args: { to: ['jonas@example.com', 'hannah@example.com'], subject: 'Agenda', body: '9:00 strategy\n11:00 roadmap' } });
    expect(d).toMatchObject({ decision: 'narrow', args: { to: ['jonas@example.com'] } });
  });

  it('does not cut recipients that a result supplied (reply to all) — provenance judges those', () => {
    const spec: Partial<ToolSpec> = { annotations: { readOnlyHint: false, openWorldHint: true } };
    const history = [{ tool: 'read_email', args: { id: 'm2' }, result: 'From: jonas@example.com\nCc: hannah@example.com\n\nAgenda please.' }];
    const d = decide({ task: 'Reply to jonas@example.com and everyone on the thread with the agenda.', history, tool: 'send_email', spec, args: { to: ['jonas@example.com', 'hannah@example.com'], subject: 'Agenda', body: 'Attached.' } });
    expect(d.decision).toBe('allow');
  });
});

describe('narrowing paths', () => {
  it('keeps the trailing slash of a key prefix the task wrote', () => {
    const n = proposeNarrowing({ server: 's', tool: 'list_objects', args: { bucket: 'b', prefix: 'exports/' } }, 'List the files in b under exports/daily/.', none);
    expect(n?.args).toEqual({ prefix: 'exports/daily/' });
  });

  it('does not read the owner/repo the call already names as a path inside it', () => {
    const n = proposeNarrowing({ server: 's', tool: 'get_file_contents', args: { owner: 'treyresearch', repo: 'web', path: '' } }, 'What files are in docs/api of treyresearch/web?', none);
    expect(n?.args).toEqual({ path: 'docs/api' });
  });
});
