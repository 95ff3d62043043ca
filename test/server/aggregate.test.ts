import { describe, expect, it } from 'vitest';
import type { JsonRpcMessage } from '../../src/proxy/jsonrpc.js';
import type { Link, LinkSendOptions } from '../../src/proxy/link.js';
import { Aggregator } from '../../src/server/aggregate.js';
import { linkPair, type MemoryLink } from '../../src/server/links.js';

/** The client side: records what the aggregate sends it (with the related request id). */
class ClientSide implements Link {
  onmessage?: Link['onmessage'];
  onclose?: Link['onclose'];
  readonly sent: { message: Record<string, unknown>; related: unknown }[] = [];
  async start(): Promise<void> {}
  async send(message: JsonRpcMessage, options?: LinkSendOptions): Promise<void> {
    this.sent.push({ message: message as unknown as Record<string, unknown>, related: options?.relatedRequestId });
  }
  async close(): Promise<void> {
    this.onclose?.();
  }
  deliver(m: unknown): void {
    this.onmessage?.(m);
  }
  async reply(id: unknown): Promise<Record<string, unknown>> {
    await expect.poll(() => this.sent.find((s) => s.message.id === id && !('method' in s.message))).toBeDefined();
    return this.sent.find((s) => s.message.id === id && !('method' in s.message))!.message;
  }
}

/** One upstream as its router would present it: scripted answers per method. */
function member(name: string, handlers: Record<string, (params: Record<string, unknown>) => Record<string, unknown> | 'error' | 'hold'>) {
  const { a, b } = linkPair();
  const received: Record<string, unknown>[] = [];
  a.onmessage = (m) => {
    const msg = m as Record<string, unknown>;
    received.push(msg);
    if (typeof msg.method !== 'string' || msg.id === undefined) return;
    const h = handlers[msg.method];
    const result = h ? h((msg.params ?? {}) as Record<string, unknown>) : 'error';
    if (result === 'hold') return; // still running: answers later, or never
    void a.send(
      result === 'error'
        ? { jsonrpc: '2.0', id: msg.id as string, error: { code: -32601, message: 'nope' } }
        : { jsonrpc: '2.0', id: msg.id as string, result },
    );
  };
  return { name, link: b as MemoryLink, routerSide: a as MemoryLink, received };
}

const init = (caps: Record<string, unknown>, version = '2025-11-25') => () => ({ protocolVersion: version, capabilities: caps, serverInfo: { name: 'x', version: '1' } });

async function setup(members: ReturnType<typeof member>[]) {
  const client = new ClientSide();
  const agg = new Aggregator({ client, members: members.map((m) => ({ name: m.name, link: m.link })), version: 'test', log: () => {} });
  await agg.start();
  client.deliver({ jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'c', version: '1' } } });
  const initResult = await client.reply(0);
  return { client, agg, initResult };
}

describe('Aggregator', () => {
  it('merges initialize (capabilities, oldest version) and leaves a failing upstream out', async () => {
    const fs = member('fs', { initialize: init({ tools: { listChanged: true }, resources: { subscribe: true } }, '2025-06-18') });
    const mail = member('mail', { initialize: init({ tools: {}, prompts: {} }) });
    const broken = member('broken', { initialize: () => 'error' });
    const { initResult } = await setup([fs, mail, broken]);
    expect(initResult.result).toMatchObject({
      protocolVersion: '2025-06-18',
      capabilities: { tools: { listChanged: true }, resources: { subscribe: true }, prompts: {} },
      serverInfo: { name: 'intentguard-aggregate' },
    });
  });

  it('namespaces tools, routes calls by the longest upstream prefix, and maps ids back', async () => {
    const a = member('a', { initialize: init({ tools: {} }), 'tools/list': () => ({ tools: [{ name: 'x' }] }), 'tools/call': (p) => ({ content: [{ type: 'text', text: `a:${String(p.name)}` }] }) });
    const ab = member('a__b', { initialize: init({ tools: {} }), 'tools/list': () => ({ tools: [{ name: 'y' }] }), 'tools/call': (p) => ({ content: [{ type: 'text', text: `ab:${String(p.name)}` }] }) });
    const { client } = await setup([a, ab]);
    client.deliver({ jsonrpc: '2.0', id: 1, method: 'tools/list' });
    expect(((await client.reply(1)).result as { tools: { name: string }[] }).tools.map((t) => t.name).sort()).toEqual(['a__b__y', 'a__x']);
    client.deliver({ jsonrpc: '2.0', id: 'call-1', method: 'tools/call', params: { name: 'a__b__y', arguments: {} } });
    expect(await client.reply('call-1')).toMatchObject({ id: 'call-1', result: { content: [{ text: 'ab:y' }] } });
    client.deliver({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'a__x', arguments: {} } });
    expect(await client.reply(2)).toMatchObject({ result: { content: [{ text: 'a:x' }] } });
    client.deliver({ jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'zzz__x', arguments: {} } });
    expect(await client.reply(3)).toMatchObject({ error: { code: -32602 } });
    client.deliver({ jsonrpc: '2.0', id: 4, method: 'tasks/list' });
    expect(await client.reply(4)).toMatchObject({ error: { code: -32601 } });
  });

  it('routes resources by the upstream that listed them, and refuses a URI two upstreams claim', async () => {
    const one = member('one', {
      initialize: init({ resources: {} }),
      'resources/list': () => ({ resources: [{ uri: 'file:///one.txt', name: '1' }, { uri: 'shared://x', name: 's' }] }),
      'resources/read': (p) => ({ contents: [{ uri: p.uri, text: 'from one' }] }),
    });
    const two = member('two', {
      initialize: init({ resources: {} }),
      'resources/list': () => ({ resources: [{ uri: 'shared://x', name: 's' }] }),
      'resources/templates/list': () => ({ resourceTemplates: [{ uriTemplate: 'two://items/{id}', name: 't' }] }),
      'resources/read': (p) => ({ contents: [{ uri: p.uri, text: 'from two' }] }),
    });
    const { client } = await setup([one, two]);
    client.deliver({ jsonrpc: '2.0', id: 1, method: 'resources/list' });
    expect(((await client.reply(1)).result as { resources: unknown[] }).resources.length).toBe(3);
    client.deliver({ jsonrpc: '2.0', id: 2, method: 'resources/templates/list' });
    await client.reply(2);
    client.deliver({ jsonrpc: '2.0', id: 3, method: 'resources/read', params: { uri: 'file:///one.txt' } });
    expect(await client.reply(3)).toMatchObject({ result: { contents: [{ text: 'from one' }] } });
    client.deliver({ jsonrpc: '2.0', id: 4, method: 'resources/read', params: { uri: 'two://items/42' } });
    expect(await client.reply(4)).toMatchObject({ result: { contents: [{ text: 'from two' }] } });
    client.deliver({ jsonrpc: '2.0', id: 5, method: 'resources/read', params: { uri: 'shared://x' } });
    expect(await client.reply(5)).toMatchObject({ error: { code: -32002 } });
  });

  it("forwards an upstream's request to the client under its own id, related to the client's call, and maps the answer back", async () => {
    const up = member('up', { initialize: init({ tools: {} }), 'tools/call': () => 'hold' });
    const { client } = await setup([up]);
    // The client calls a tool; the aggregate forwards it under an id of its own.
    client.deliver({ jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name: 'up__t', arguments: {} } });
    await expect.poll(() => up.received.find((m) => m.method === 'tools/call')).toBeDefined();
    const forwardedId = up.received.find((m) => m.method === 'tools/call')!.id as string;
    // While it runs, the upstream asks the client for sampling, related to that call.
    await up.routerSide.send({ jsonrpc: '2.0', id: 1, method: 'sampling/createMessage', params: {} }, { relatedRequestId: forwardedId });
    await expect.poll(() => client.sent.find((s) => s.message.method === 'sampling/createMessage')).toBeDefined();
    const asked = client.sent.find((s) => s.message.method === 'sampling/createMessage')!;
    expect(asked.related).toBe(7);
    expect(asked.message.id).not.toBe(1);
    client.deliver({ jsonrpc: '2.0', id: asked.message.id, result: { role: 'assistant', content: { type: 'text', text: 'hi' }, model: 'm' } });
    await expect.poll(() => up.received.find((m) => m.id === 1 && 'result' in m)).toBeDefined();
    // A cancellation from the client names the forwarded id upstream.
    client.deliver({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 7 } });
    await expect.poll(() => up.received.find((m) => m.method === 'notifications/cancelled')).toMatchObject({ params: { requestId: forwardedId } });
  });
});
