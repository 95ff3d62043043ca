import { describe, expect, it } from 'vitest';
import { classify, exceedsDepth } from '../../src/proxy/jsonrpc.js';
import { deriveServerName } from '../../src/proxy/stdio.js';

describe('classify', () => {
  it('tells requests, notifications and responses apart', () => {
    expect(classify({ jsonrpc: '2.0', id: 1, method: 'a' }).kind).toBe('request');
    expect(classify({ jsonrpc: '2.0', id: 'x', method: 'a', params: {} }).kind).toBe('request');
    expect(classify({ jsonrpc: '2.0', method: 'n' }).kind).toBe('notification');
    expect(classify({ jsonrpc: '2.0', id: 1, result: {} }).kind).toBe('response');
    expect(classify({ jsonrpc: '2.0', id: null, error: { code: -32700, message: 'x' } }).kind).toBe('response');
  });

  it('says why something is not JSON-RPC, keeping the id when it can', () => {
    expect(classify(null)).toMatchObject({ kind: 'invalid', id: null });
    expect(classify([1])).toMatchObject({ kind: 'invalid', reason: expect.stringContaining('batch') });
    expect(classify({ id: 4, method: 'a' })).toMatchObject({ kind: 'invalid', id: 4 });
    expect(classify({ jsonrpc: '2.0', id: 5, method: 'a', params: [1] })).toMatchObject({ kind: 'invalid', id: 5 });
    expect(classify({ jsonrpc: '2.0', id: { a: 1 }, method: 'a' })).toMatchObject({ kind: 'invalid', id: null });
    expect(classify({ jsonrpc: '2.0', id: 6, result: 'no' })).toMatchObject({ kind: 'invalid', id: 6 });
    expect(classify({ jsonrpc: '2.0', id: 7, error: { message: 'no code' } })).toMatchObject({ kind: 'invalid', id: 7 });
    expect(classify({ jsonrpc: '2.0', id: 8 })).toMatchObject({ kind: 'invalid', id: 8 });
  });
});

describe('exceedsDepth', () => {
  it('measures nesting without recursion', () => {
    expect(exceedsDepth({ a: { b: [1] } }, 3)).toBe(false);
    expect(exceedsDepth({ a: { b: [{}] } }, 3)).toBe(true);
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(exceedsDepth(deep, 32)).toBe(true);
  });
});

describe('deriveServerName', () => {
  it('names well-known server packages after what they serve', () => {
    expect(deriveServerName('npx', ['-y', '@modelcontextprotocol/server-filesystem', '/tmp'])).toBe('filesystem');
    expect(deriveServerName('node', ['/x/node_modules/@modelcontextprotocol/server-everything/dist/index.js'])).toBe('everything');
    expect(deriveServerName('mcp-server-git')).toBe('git');
    expect(deriveServerName('node', ['./tools/weather.mjs'])).toBe('weather');
    expect(deriveServerName('/usr/bin/python3', ['main.py'])).toBe('upstream');
  });
});
