import { describe, expect, it } from 'vitest';
import type { RepoPermission } from '../types.js';
import { acceptCommand } from './decide.js';

describe('acceptCommand', () => {
  it.each([
    ['alice', false, 'write', true],
    ['alice', false, 'admin', true],
    ['alice', false, 'read', false],
    ['alice', false, 'none', false],
    ['agentlab', false, 'admin', false], // our own token: never (no loops)
    ['AgentLab', false, 'admin', false], // logins compare case-insensitively
    ['renovate[bot]', false, 'write', false], // a bot by its login (Forgejo reports no user type)
    ['deploy-app', true, 'admin', false], // a bot the forge reports
    ['', false, 'write', false],
  ] as [string, boolean, RepoPermission, boolean][])('%s (bot %s, %s) -> %s', (author, authorIsBot, permission, want) => {
    expect(acceptCommand({ author, authorIsBot }, { self: 'agentlab', permission })).toBe(want);
  });
});
