import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ChildProcessLink } from '../../src/proxy/stdio-upstream.js';
import { ROOT } from '../helpers/cli.js';

const ECHO = path.join(ROOT, 'test/helpers/echo-server.mjs');
const links: ChildProcessLink[] = [];
afterEach(async () => {
  for (const l of links.splice(0)) await l.close();
});

function start() {
  const link = new ChildProcessLink({ command: process.execPath, args: [ECHO], restartDelayMs: 10, stderr: 'ignore' });
  links.push(link);
  const received: Record<string, unknown>[] = [];
  const waiters: { pred: (m: Record<string, unknown>) => boolean; resolve: (m: Record<string, unknown>) => void }[] = [];
  link.onmessage = (m) => {
    const msg = m as Record<string, unknown>;
    received.push(msg);
    for (const w of [...waiters]) if (w.pred(msg)) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve(msg);
    }
  };
  const resets: string[] = [];
  link.onreset = (r) => resets.push(r);
  const waitFor = (pred: (m: Record<string, unknown>) => boolean) =>
    new Promise<Record<string, unknown>>((resolve) => {
      const hit = received.find(pred);
      if (hit) resolve(hit);
      else waiters.push({ pred, resolve });
    });
  return { link, received, resets, waitFor };
}

const INIT = { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } } } as const;

describe('ChildProcessLink', () => {
  it('restarts a dead server, replays the handshake, swallows its answer and delivers queued messages', async () => {
    const { link, received, resets, waitFor } = start();
    await link.start();
    await link.send(INIT);
    await waitFor((m) => m.id === 1);
    await link.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
    const firstPid = link.pid;

    await link.send({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'crash', arguments: {} } });
    await expect.poll(() => resets.length).toBe(1);
    expect(resets[0]).toMatch(/exited/);

    // sent while the server is down: queued, then delivered to the re-initialised server
    await link.send({ jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'count', arguments: {} } });
    const answer = (await waitFor((m) => m.id === 3)) as { result: { content: { text: string }[] } };
    const counted = JSON.parse(answer.result.content[0]!.text) as { pid: number; calls: number };
    expect(counted.pid).not.toBe(firstPid);
    expect(counted.calls).toBe(0);
    expect(link.starts).toBe(2);
    // the replayed initialize's answer never reached the router
    expect(received.filter((m) => typeof m.id === 'string')).toEqual([]);
  });

  it('refuses to start a command that does not exist, instead of retrying it forever', async () => {
    const link = new ChildProcessLink({ command: '/nonexistent/mcp-server', stderr: 'ignore' });
    links.push(link);
    await expect(link.start()).rejects.toMatchObject({ code: 'IG_USAGE', message: expect.stringContaining('ENOENT') });
  });
});

describe('ChildProcessLink.start from an I/O callback', () => {
  it('resolves even when the spawn event fires before the caller resumes (regression: it hung)', async () => {
    const { stat } = await import('node:fs');
    const link = new ChildProcessLink({ command: process.execPath, args: [ECHO], stderr: 'ignore' });
    links.push(link);
    const started = await new Promise<string>((resolve, reject) => {
      stat(ECHO, () => {
        const timer = setTimeout(() => resolve('hung'), 5000);
        link.start().then(
          () => {
            clearTimeout(timer);
            resolve('started');
          },
          (e: unknown) => {
            clearTimeout(timer);
            reject(e as Error);
          },
        );
      });
    });
    expect(started).toBe('started');
  });
});

describe('frames sent to a child', () => {
  it('never carry a raw line breaker that a line reader could split a second message out of (regression)', async () => {
    const { lineSafeFrame } = await import('../../src/proxy/stdio-upstream.js');
    const frame = '{"jsonrpc":"2.0","id":1,"method":"ping","params":{"x":"a"}}';
    // JSON whitespace may be a raw CR; a string may hold a raw U+2028: both split lines in some readers.
    const hostile = `{"jsonrpc":"2.0","id":1,"method":"ping","params":{"x":\r"a\u2028b"\r}}`;
    const message = JSON.parse(hostile) as Parameters<typeof lineSafeFrame>[1];
    const safe = lineSafeFrame(hostile, message);
    expect(safe).not.toMatch(/[\r\n\u2028\u2029\u0085]/);
    expect(JSON.parse(safe)).toEqual(message);
    // An ordinary frame travels as it came.
    expect(lineSafeFrame(frame, JSON.parse(frame) as Parameters<typeof lineSafeFrame>[1])).toBe(frame);
  });
});
