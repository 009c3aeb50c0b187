import { constants, type Stats } from 'node:fs';
import { lstat, mkdir, open, opendir, realpath, rmdir, unlink } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import type { AgentTool } from '../../../api/generated/agentrun.js';
import { ToolError } from './errors.js';

/** The files tool's allow-list with the CRD's defaults applied. */
export interface FilesPolicy {
  /** Absolute directories the agent may use (spec.tools[].files.paths). */
  paths: string[];
  readOnly: boolean;
  maxFileBytes: number;
}

export const DEFAULT_MAX_FILE_BYTES = 1_048_576;
/** A listing stops after this many entries and says so. */
export const MAX_LIST_ENTRIES = 1000;

export function filesPolicy(spec: NonNullable<AgentTool['files']>): FilesPolicy {
  return { paths: spec.paths, readOnly: spec.readOnly ?? false, maxFileBytes: spec.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES };
}

/**
 * The jail: the real paths of the allowed directories, and the directory relative paths start
 * from (the workspace, which must be inside one of them).
 */
export interface Jail {
  policy: FilesPolicy;
  roots: string[];
  workspace: string;
}

/** Resolves the allowed directories once (they must exist), so later checks compare real paths. */
export async function openJail(policy: FilesPolicy, workspace = policy.paths[0]): Promise<Jail> {
  const roots: string[] = [];
  for (const p of policy.paths) {
    if (!isAbsolute(p)) throw new ToolError('Forbidden', `files.paths: "${p}" is not an absolute directory path`);
    try {
      roots.push(await realpath(p));
    } catch (e) {
      throw new ToolError('NotFound', `files.paths: allowed directory "${p}" does not exist (${(e as NodeJS.ErrnoException).code})`);
    }
  }
  const ws = await realpath(workspace);
  if (!roots.some((r) => inside(r, ws))) throw new ToolError('Forbidden', `workspace "${workspace}" is not inside the allowed paths`);
  return { policy, roots, workspace: ws };
}

/** Whether `path` is `root` or below it (both absolute and normalised). */
export function inside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
}

/** Lexical checks before touching the file system; returns the normalised absolute path. */
export function normalisePath(jail: Pick<Jail, 'workspace'>, path: string): string {
  if (path.length === 0) throw new ToolError('InvalidArguments', 'path is empty');
  if (path.includes('\0')) throw new ToolError('InvalidArguments', 'path contains a NUL byte');
  // resolve() removes . and .. lexically; the result is the exact path opened later, so a
  // symlink followed by .. cannot lead somewhere other than what was checked.
  return isAbsolute(path) ? resolve(path) : resolve(jail.workspace, path);
}

async function lstatOrUndefined(path: string): Promise<Stats | undefined> {
  try {
    return await lstat(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

/**
 * The real path a tool may operate on, or a Forbidden error. The deepest existing ancestor is
 * resolved with realpath (following every symlink in it) and the missing rest appended; the
 * result must lie inside one of the allowed directories. With followFinal false the last
 * component is not resolved (delete removes a symlink itself, never its target).
 */
export async function resolveInJail(jail: Jail, path: string, { followFinal = true } = {}): Promise<string> {
  const lexical = normalisePath(jail, path);
  const start = followFinal ? lexical : dirname(lexical);
  const missing: string[] = [];
  let existing = start;
  for (;;) {
    if (await lstatOrUndefined(existing)) break;
    const parent = dirname(existing);
    if (parent === existing) break;
    missing.unshift(basename(existing));
    existing = parent;
  }
  let real: string;
  try {
    real = join(await realpath(existing), ...missing);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    // A dangling symlink: where it points cannot be checked, so it is not followed.
    if (code === 'ENOENT') throw new ToolError('Forbidden', `${path}: is or passes through a symbolic link whose target does not exist; refused`);
    throw new ToolError('Failed', `${path}: cannot resolve (${code})`);
  }
  if (!followFinal) real = join(real, basename(lexical));
  if (!jail.roots.some((r) => inside(r, real))) {
    throw new ToolError('Forbidden', `${path}: outside the allowed paths (${jail.policy.paths.join(', ')})`);
  }
  return real;
}

const relativeName = (jail: Jail, real: string) => {
  const root = jail.roots.find((r) => inside(r, real))!;
  return jail.roots.length === 1 ? relative(root, real) || '.' : real;
};

function ioError(path: string, e: unknown): ToolError {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ELOOP') return new ToolError('Forbidden', `${path}: is a symbolic link created after the check; refused`);
  if (code === 'ENOENT') return new ToolError('NotFound', `${path}: no such file or directory`);
  if (code === 'EISDIR') return new ToolError('Failed', `${path}: is a directory`);
  if (code === 'ENOTDIR') return new ToolError('Failed', `${path}: a component of the path is not a directory`);
  return new ToolError('Failed', `${path}: ${code ?? (e as Error).message}`);
}

/** Reads a regular file of at most maxFileBytes, as UTF-8 text. */
export async function readFile(jail: Jail, path: string): Promise<{ path: string; bytes: number; content: string }> {
  const real = await resolveInJail(jail, path);
  const max = jail.policy.maxFileBytes;
  let handle;
  try {
    // O_NOFOLLOW: a symlink put in place of the checked file after the check is refused.
    handle = await open(real, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (e) {
    throw ioError(path, e);
  }
  try {
    const st = await handle.stat();
    if (!st.isFile()) throw new ToolError('Failed', `${path}: not a regular file`);
    if (st.nlink > 1) throw new ToolError('Forbidden', `${path}: has ${st.nlink} hard links, one of which may be outside the allowed paths; refused`);
    if (st.size > max) throw new ToolError('TooLarge', `${path}: ${st.size} bytes, over the limit of ${max} (files.maxFileBytes)`);
    // Read at most max+1 bytes: a file that grew after the stat is still refused, not read whole.
    const buf = Buffer.alloc(max + 1);
    let n = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buf, n, buf.length - n, n);
      if (bytesRead === 0) break;
      n += bytesRead;
      if (n > max) throw new ToolError('TooLarge', `${path}: over the limit of ${max} bytes (files.maxFileBytes)`);
    }
    return { path: relativeName(jail, real), bytes: n, content: buf.subarray(0, n).toString('utf8') };
  } finally {
    await handle.close();
  }
}

/** Writes (creates or replaces) a file with UTF-8 text, creating missing parent directories. */
export async function writeFile(jail: Jail, path: string, content: string): Promise<{ path: string; bytes: number }> {
  if (jail.policy.readOnly) throw new ToolError('Forbidden', `${path}: the files tool is read-only for this run (files.readOnly)`);
  const data = Buffer.from(content, 'utf8');
  const max = jail.policy.maxFileBytes;
  if (data.length > max) throw new ToolError('TooLarge', `${path}: ${data.length} bytes, over the limit of ${max} (files.maxFileBytes)`);
  const real = await resolveInJail(jail, path);
  try {
    await mkdir(dirname(real), { recursive: true });
  } catch (e) {
    throw ioError(path, e);
  }
  let handle;
  try {
    handle = await open(real, constants.O_WRONLY | constants.O_CREAT | constants.O_NOFOLLOW | constants.O_NONBLOCK, 0o644);
  } catch (e) {
    throw ioError(path, e);
  }
  try {
    const st = await handle.stat();
    if (!st.isFile()) throw new ToolError('Failed', `${path}: not a regular file`);
    if (st.nlink > 1) throw new ToolError('Forbidden', `${path}: has ${st.nlink} hard links, one of which may be outside the allowed paths; refused`);
    // Truncate only after the checks, so a refused write leaves the file as it was.
    await handle.truncate(0);
    await handle.write(data, 0, data.length, 0);
  } finally {
    await handle.close();
  }
  return { path: relativeName(jail, real), bytes: data.length };
}

export interface ListEntry {
  name: string;
  type: 'file' | 'directory' | 'symlink' | 'other';
  /** Bytes, for files. */
  size?: number;
}

/** Lists a directory (not recursively), sorted by name, at most MAX_LIST_ENTRIES entries. */
export async function listDirectory(jail: Jail, path: string): Promise<{ path: string; entries: ListEntry[]; truncated: boolean }> {
  const real = await resolveInJail(jail, path);
  const entries: ListEntry[] = [];
  let truncated = false;
  try {
    const st = await lstat(real);
    if (!st.isDirectory()) throw new ToolError('Failed', `${path}: not a directory`);
    for await (const d of await opendir(real)) {
      if (entries.length >= MAX_LIST_ENTRIES) { truncated = true; break; }
      const type = d.isFile() ? 'file' : d.isDirectory() ? 'directory' : d.isSymbolicLink() ? 'symlink' : 'other';
      const size = type === 'file' ? (await lstatOrUndefined(join(real, d.name)))?.size : undefined;
      entries.push({ name: d.name, type, ...(size !== undefined ? { size } : {}) });
    }
  } catch (e) {
    throw e instanceof ToolError ? e : ioError(path, e);
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { path: relativeName(jail, real), entries, truncated };
}

/** Deletes a file, a symlink (never its target) or an empty directory; never an allowed directory itself. */
export async function deletePath(jail: Jail, path: string): Promise<{ path: string; deleted: true }> {
  if (jail.policy.readOnly) throw new ToolError('Forbidden', `${path}: the files tool is read-only for this run (files.readOnly)`);
  const real = await resolveInJail(jail, path, { followFinal: false });
  if (jail.roots.includes(real) || jail.workspace === real) throw new ToolError('Forbidden', `${path}: is an allowed directory itself; refused`);
  try {
    const st = await lstat(real);
    if (st.isDirectory()) await rmdir(real);
    else await unlink(real);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOTEMPTY') throw new ToolError('Failed', `${path}: directory is not empty; delete its entries first`);
    throw ioError(path, e);
  }
  return { path: relativeName(jail, real), deleted: true };
}
