import { describe, expect, it } from 'vitest';
import type { IssueTrackerSpec } from '../../model/issue-tracker-spec.js';
import { createIssueTracker } from '../factory.js';
import type { IssueTrackerConfig } from '../types.js';
import { resolveTracker, unauthorizedMessage } from './token.js';

const SPEC: IssueTrackerSpec = {
  provider: 'forgejo', baseURL: 'https://git.example.org', repository: 'homelab/infra', createIssue: { title: '', labels: [] },
  commentProgress: true, closeOnSuccess: false, secretRef: { name: 'forgejo-token', key: 'token' }, block: 'issueTracker',
};
const TOKEN = 'secret-token-value-123';

function deps(secrets: Record<string, Record<string, string>>) {
  const built: IssueTrackerConfig[] = [];
  return {
    built,
    readSecret: async (ns: string, name: string) => secrets[`${ns}/${name}`],
    factory: (c: IssueTrackerConfig) => {
      built.push(c);
      return createIssueTracker(c);
    },
  };
}

describe('resolveTracker', () => {
  it('builds the tracker from the Secret\'s key (trailing newline trimmed)', async () => {
    const d = deps({ 'homelab/forgejo-token': { token: `${TOKEN}\n` } });
    const r = await resolveTracker(d, 'homelab', SPEC);
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.tracker.provider).toBe('forgejo');
    expect(d.built).toEqual([{ provider: 'forgejo', baseURL: 'https://git.example.org', repository: 'homelab/infra', token: TOKEN }]);
  });

  it.each([
    [{}, /^spec\.issueTracker\.secretRef: Secret homelab\/forgejo-token not found; create it with: kubectl -n homelab create secret generic forgejo-token --from-literal=token=<token>/],
    [{ 'homelab/forgejo-token': { pat: TOKEN } }, /^spec\.issueTracker\.secretRef: Secret homelab\/forgejo-token has no key "token"/],
    [{ 'homelab/forgejo-token': { token: '  \n' } }, /^spec\.issueTracker\.secretRef: key "token" of Secret homelab\/forgejo-token is empty/],
  ])('a missing Secret, key or token is IssueTrackerUnavailable naming them (%#)', async (secrets, message) => {
    const r = await resolveTracker(deps(secrets), 'homelab', SPEC);
    expect(r).toEqual({ ok: false, reason: 'IssueTrackerUnavailable', message: expect.stringMatching(message) });
  });

  it('names the deprecated block in field paths, and reports a bad spec without the token', async () => {
    const r = await resolveTracker(deps({ 'ns/gh': { token: TOKEN } }), 'ns', { ...SPEC, provider: 'github', baseURL: undefined, repository: 'not a repo', secretRef: { name: 'gh', key: 'token' }, block: 'github' });
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.message).toMatch(/^spec\.github: repository "not a repo" is not "owner\/name"/);
      expect(r.message).not.toContain(TOKEN);
    }
  });

  it('says which Secret and key the forge refused', () => {
    expect(unauthorizedMessage('homelab', SPEC)).toBe('forgejo refused the token in key "token" of Secret homelab/forgejo-token (spec.issueTracker.secretRef): it is wrong, expired or revoked; put a valid token there');
  });
});
