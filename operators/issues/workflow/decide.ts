// Whose comment counts: a person with write access to the repository, never a bot or our own
// token (so the workflow never answers itself). The permission comes from the forge's API.
import type { IssueComment, RepoPermission } from '../types.js';

export const isBot = (c: Pick<IssueComment, 'author' | 'authorIsBot'>): boolean => c.authorIsBot || c.author.endsWith('[bot]');

export const isSelf = (login: string, self: string): boolean => login.toLowerCase() === self.toLowerCase();

export function acceptCommand(comment: Pick<IssueComment, 'author' | 'authorIsBot'>, ctx: { self: string; permission: RepoPermission }): boolean {
  if (!comment.author || isSelf(comment.author, ctx.self) || isBot(comment)) return false;
  return ctx.permission === 'write' || ctx.permission === 'admin';
}
