import { IssueTrackerError } from './errors.js';
import type { RepoRef } from './types.js';

const invalid = (message: string): IssueTrackerError => new IssueTrackerError('Invalid', message);

const SEGMENT = /^[A-Za-z0-9_.-]{1,100}$/;

/** Parses `owner/name`; a bad value gets an error that says what the value must look like. */
export function parseRepository(value: string): RepoRef {
  const parts = value.trim().replace(/\.git$/, '').split('/');
  if (parts.length !== 2 || !parts.every((p) => SEGMENT.test(p) && p !== '.' && p !== '..')) {
    throw invalid(`repository ${JSON.stringify(value)} is not "owner/name" (letters, digits, ".", "-", "_")`);
  }
  return { owner: parts[0]!, repo: parts[1]! };
}

/** Normalizes a base URL: no trailing slash, http(s) only. */
export function parseBaseURL(value: string, field = 'baseURL'): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw invalid(`${field} ${JSON.stringify(value)} is not a URL; use e.g. https://git.example.org`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw invalid(`${field} ${JSON.stringify(value)} must be http:// or https://`);
  if (url.username || url.password) throw invalid(`${field} must not carry credentials; the token comes from the Secret`);
  return url.toString().replace(/\/+$/, '');
}

/** A file path inside the repository, without a leading slash; refuses empty, "." and ".." segments. */
export function checkPath(path: string): string {
  const clean = path.replace(/^\/+/, '');
  if (!clean || clean.split('/').some((s) => s === '' || s === '.' || s === '..')) throw invalid(`file path ${JSON.stringify(path)} is not a relative path inside the repository`);
  return clean;
}

/** The path's segments URL-encoded, slashes kept (for URLs we build ourselves). */
export const encodePath = (path: string): string => checkPath(path).split('/').map(encodeURIComponent).join('/');
