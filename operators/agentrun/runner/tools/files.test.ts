import { link, mkdir, mkdtemp, readFile as fsReadFile, rm, symlink, writeFile as fsWriteFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ToolError } from './errors.js';
import { deletePath, filesPolicy, listDirectory, openJail, readFile, resolveInJail, writeFile, type Jail } from './files.js';

let base: string;
let ws: string;
let outside: string;
let jail: Jail;

beforeAll(async () => {
  base = await mkdtemp(join(tmpdir(), 'agentlab-files-'));
  ws = join(base, 'ws');
  outside = join(base, 'outside');
  await mkdir(join(ws, 'src'), { recursive: true });
  await mkdir(outside);
  await fsWriteFile(join(outside, 'secret.txt'), 'secret');
  await fsWriteFile(join(ws, 'a.txt'), 'hello');
  await fsWriteFile(join(ws, 'src', 'main.ts'), 'code');
  await fsWriteFile(join(ws, 'big.txt'), 'x'.repeat(101));
  await symlink(join(outside, 'secret.txt'), join(ws, 'link-out'));
  await symlink(outside, join(ws, 'dir-out'));
  await symlink(join(ws, 'a.txt'), join(ws, 'link-in'));
  await symlink(join(ws, 'src'), join(ws, 'dir-in'));
  await symlink(join(outside, 'nothing-yet'), join(ws, 'dangling-out'));
  await link(join(outside, 'secret.txt'), join(ws, 'hardlink'));
  jail = await openJail(filesPolicy({ paths: [ws], maxFileBytes: 100 }));
});
afterAll(() => rm(base, { recursive: true, force: true }));

const code = async (p: Promise<unknown>) => {
  try {
    await p;
    return 'ok';
  } catch (e) {
    if (e instanceof ToolError) return e.code;
    throw e;
  }
};

describe('files: the path jail', () => {
  it.each([
    ['../', 'Forbidden'],
    ['..', 'Forbidden'],
    ['../outside/secret.txt', 'Forbidden'],
    ['/etc/passwd', 'Forbidden'],
    ['a/../../x', 'Forbidden'],
    ['src/../../outside/secret.txt', 'Forbidden'],
    ['link-out', 'Forbidden'], // a symlink inside the jail pointing outside
    ['dir-out/secret.txt', 'Forbidden'], // through a symlink to a directory outside
    ['dir-out/new.txt', 'Forbidden'], // a file that does not exist yet, behind such a symlink
    ['dangling-out', 'Forbidden'],
    ['a.txt\0.png', 'InvalidArguments'],
    ['', 'InvalidArguments'],
    ['a.txt', 'ok'],
    ['./src/../a.txt', 'ok'],
    ['link-in', 'ok'],
    ['dir-in/main.ts', 'ok'],
    ['new/dir/file.txt', 'ok'],
  ])('%j -> %s', async (path, expected) => {
    expect(await code(resolveInJail(jail, path))).toBe(expected);
  });

  it('accepts an absolute path inside the jail and resolves in-jail symlinks to their targets', async () => {
    expect(await resolveInJail(jail, join(ws, 'link-in'))).toBe(join(jail.roots[0], 'a.txt'));
  });

  it('refuses a workspace outside the allowed paths', async () => {
    expect(await code(openJail(filesPolicy({ paths: [ws] }), outside))).toBe('Forbidden');
  });
});

describe('files: operations', () => {
  it.each<[string, () => Promise<unknown>, string]>([
    ['read ../', () => readFile(jail, '../outside/secret.txt'), 'Forbidden'],
    ['read /etc/passwd', () => readFile(jail, '/etc/passwd'), 'Forbidden'],
    ['read a symlink pointing outside', () => readFile(jail, 'link-out'), 'Forbidden'],
    ['read through a symlink to a directory outside', () => readFile(jail, 'dir-out/secret.txt'), 'Forbidden'],
    ['read a hard link to a file outside', () => readFile(jail, 'hardlink'), 'Forbidden'],
    ['read a file over maxFileBytes', () => readFile(jail, 'big.txt'), 'TooLarge'],
    ['read a missing file', () => readFile(jail, 'missing.txt'), 'NotFound'],
    ['read a directory', () => readFile(jail, 'src'), 'Failed'],
    ['write a/../../x', () => writeFile(jail, 'a/../../x', 'x'), 'Forbidden'],
    ['write through a symlink to a directory outside', () => writeFile(jail, 'dir-out/planted.txt', 'x'), 'Forbidden'],
    ['write over a symlink pointing outside', () => writeFile(jail, 'link-out', 'x'), 'Forbidden'],
    ['write more than maxFileBytes', () => writeFile(jail, 'out.txt', 'y'.repeat(101)), 'TooLarge'],
    ['list ../', () => listDirectory(jail, '../'), 'Forbidden'],
    ['list a symlink to a directory outside', () => listDirectory(jail, 'dir-out'), 'Forbidden'],
    ['delete the workspace itself', () => deletePath(jail, '.'), 'Forbidden'],
    ['delete outside', () => deletePath(jail, '../outside/secret.txt'), 'Forbidden'],
  ])('%s: %s', async (_name, call, expected) => {
    expect(await code(call())).toBe(expected);
    expect(await fsReadFile(join(outside, 'secret.txt'), 'utf8')).toBe('secret');
  });

  it('reads, writes (creating parents), lists and deletes inside the jail', async () => {
    expect(await readFile(jail, 'link-in')).toEqual({ path: 'a.txt', bytes: 5, content: 'hello' });
    expect(await writeFile(jail, 'out/deep/n.txt', 'y'.repeat(100))).toEqual({ path: 'out/deep/n.txt', bytes: 100 });
    expect((await readFile(jail, 'out/deep/n.txt')).content).toBe('y'.repeat(100));
    await writeFile(jail, 'out/deep/n.txt', 'short');
    expect((await readFile(jail, 'out/deep/n.txt')).content).toBe('short');
    const listing = await listDirectory(jail, '.');
    expect(listing.truncated).toBe(false);
    expect(listing.entries.map((e) => `${e.name}:${e.type}`)).toEqual([
      'a.txt:file', 'big.txt:file', 'dangling-out:symlink', 'dir-in:symlink', 'dir-out:symlink', 'hardlink:file',
      'link-in:symlink', 'link-out:symlink', 'out:directory', 'src:directory',
    ]);
    expect(await code(deletePath(jail, 'out/deep'))).toBe('Failed'); // not empty
    await deletePath(jail, 'out/deep/n.txt');
    await deletePath(jail, 'out/deep');
    expect(await code(readFile(jail, 'out/deep/n.txt'))).toBe('NotFound');
  });

  it('deletes a symlink pointing outside without touching its target', async () => {
    await symlink(join(outside, 'secret.txt'), join(ws, 'to-delete'));
    await deletePath(jail, 'to-delete');
    expect(await fsReadFile(join(outside, 'secret.txt'), 'utf8')).toBe('secret');
  });

  it('refuses writes and deletions when readOnly, and still reads', async () => {
    const ro = await openJail(filesPolicy({ paths: [ws], readOnly: true }));
    expect(await code(writeFile(ro, 'a.txt', 'changed'))).toBe('Forbidden');
    expect(await code(deletePath(ro, 'a.txt'))).toBe('Forbidden');
    expect((await readFile(ro, 'a.txt')).content).toBe('hello');
  });

  it('refuses a symlink swapped in for the checked file before it is opened (O_NOFOLLOW)', async () => {
    // The check passes for an ordinary file; replace it with a symlink to outside, as a
    // concurrent process could, then open what was checked.
    await fsWriteFile(join(ws, 'swap.txt'), 'mine');
    const real = await resolveInJail(jail, 'swap.txt');
    await rm(real);
    await symlink(join(outside, 'secret.txt'), real);
    const { open } = await import('node:fs/promises');
    const { constants } = await import('node:fs');
    await expect(open(real, constants.O_RDONLY | constants.O_NOFOLLOW)).rejects.toMatchObject({ code: 'ELOOP' });
    expect(await code(readFile(jail, 'swap.txt'))).toBe('Forbidden'); // and the tool refuses it as a whole
  });
});
