import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ToolError } from './errors.js';
import { ToolRegistry, toolsForRun } from './registry.js';

let base: string;
let registry: ToolRegistry;

beforeAll(async () => {
  base = await mkdtemp(join(tmpdir(), 'agentlab-registry-'));
  await mkdir(join(base, 'ws'));
  await writeFile(join(base, 'ws', 'a.txt'), 'hello');
  const { tools, notImplemented } = await toolsForRun([
    { name: 'files', files: { paths: [join(base, 'ws')], maxFileBytes: 100 } },
    { name: 'shell', shell: { allowCommands: ['ls', 'echo'] } },
    { name: 'http', http: { allowHosts: ['*.example.com'] } },
    { name: 'kubernetes', kubernetes: { resources: ['pods'] } },
  ], { workspace: join(base, 'ws') });
  expect(notImplemented).toEqual(['kubernetes']);
  registry = new ToolRegistry(tools);
});
afterAll(() => rm(base, { recursive: true, force: true }));

describe('ToolRegistry', () => {
  it('exposes each enabled tool as a JSON Schema function definition', () => {
    const defs = registry.definitions();
    expect(defs.map((d) => d.name)).toEqual(['read_file', 'list_directory', 'write_file', 'delete_path', 'run_command', 'http_request']);
    const http = defs.find((d) => d.name === 'http_request')!;
    expect(http.description).toContain('Allowed hosts: *.example.com');
    expect(http.parameters.properties.method).toMatchObject({ type: 'string', enum: ['GET'] });
    expect(defs.find((d) => d.name === 'run_command')!.description).toContain('Allowed commands: ls, echo');
  });

  it('offers no write or delete tools when files is readOnly', async () => {
    const { tools } = await toolsForRun([{ name: 'files', files: { paths: [join(base, 'ws')], readOnly: true } }], { workspace: join(base, 'ws') });
    expect(tools.map((t) => t.definition.name)).toEqual(['read_file', 'list_directory']);
  });

  it.each<[string, string, unknown, string]>([
    ['an unknown tool', 'format_disk', {}, 'UnknownTool: no tool "format_disk" in this run'],
    ['arguments that are not JSON', 'read_file', '{"path": ', 'InvalidArguments: read_file: arguments are not valid JSON'],
    ['arguments that are not an object', 'read_file', '["a.txt"]', 'InvalidArguments: read_file: arguments must be a JSON object'],
    ['a missing argument', 'read_file', {}, 'InvalidArguments: read_file: path: Required value'],
    ['an argument of the wrong type', 'read_file', { path: 7 }, 'InvalidArguments: read_file: path: Invalid value: "integer": path in body must be of type string'],
    ['an unknown argument', 'read_file', { path: 'a.txt', mode: 'rw' }, 'InvalidArguments: read_file: mode: unknown argument (parameters: path)'],
    ['an empty argv', 'run_command', { argv: [] }, 'InvalidArguments: run_command: argv: Invalid value: 0: argv in body should have at least 1 items'],
    ['a method outside the enum', 'http_request', { url: 'https://a.example.com/', method: 'DELETE' }, 'InvalidArguments: http_request: method: Unsupported value: "DELETE": supported values: "GET"'],
    ['a path escaping the jail', 'read_file', { path: '../../../etc/passwd' }, 'Forbidden: ../../../etc/passwd: outside the allowed paths'],
    ['/etc/passwd', 'read_file', { path: '/etc/passwd' }, 'Forbidden'],
    ['a NUL byte', 'read_file', { path: 'a.txt\u0000' }, 'InvalidArguments: path contains a NUL byte'],
    ['a command not allowed', 'run_command', { argv: ['rm', '-rf', '.'] }, 'Forbidden: command "rm" is not allowed'],
    ['sh -c when only ls is allowed', 'run_command', '{"argv": ["sh", "-c", "ls"]}', 'Forbidden: command "sh" is not allowed'],
    ['a host not allowed', 'http_request', { url: 'https://evil.com/' }, 'Forbidden: host evil.com is not allowed'],
    ['example.com.evil.com', 'http_request', { url: 'https://example.com.evil.com/' }, 'Forbidden: host example.com.evil.com is not allowed'],
    ['a write over maxFileBytes', 'write_file', { path: 'b.txt', content: 'x'.repeat(101) }, 'InvalidArguments: write_file: content: Too long'],
  ])('returns a structured error for %s', async (_name, tool, args, expected) => {
    const r = await registry.call(tool, args);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(`${r.error.code}: ${r.error.message}`).toContain(expected);
  });

  it('runs a valid call, with defaults applied, from an object or JSON text', async () => {
    expect(await registry.call('read_file', '{"path": "a.txt"}')).toEqual({ ok: true, result: { path: 'a.txt', bytes: 5, content: 'hello' } });
    expect(await registry.call('list_directory', {})).toMatchObject({ ok: true, result: { path: '.', entries: [{ name: 'a.txt', type: 'file' }] } });
    expect(await registry.call('run_command', { argv: ['echo', 'hi'] })).toMatchObject({ ok: true, result: { exitCode: 0, stdout: 'hi\n' } });
  });

  it('turns anything a tool throws into a result, never an exception', async () => {
    const r = new ToolRegistry([
      { definition: { name: 'boom', description: 'd', parameters: { type: 'object', properties: {} } }, run: async () => { throw new TypeError('bad'); } },
      { definition: { name: 'refuse', description: 'd', parameters: { type: 'object', properties: {} } }, run: async () => { throw new ToolError('Forbidden', 'no'); } },
    ]);
    expect(await r.call('boom', {})).toEqual({ ok: false, error: { code: 'Failed', message: 'boom: bad' } });
    expect(await r.call('refuse', undefined)).toEqual({ ok: false, error: { code: 'Forbidden', message: 'no' } });
  });
});
