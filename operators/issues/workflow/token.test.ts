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

/** Secrets by `<ns>/<name>`: their data, allowed for `forgeURL` (SPEC's forge unless given). */
function deps(secrets: Record<string, Record<string, string>>, forgeURL: string | null = SPEC.baseURL!) {
  const built: IssueTrackerConfig[] = [];
  return {
    built,
    readSecret: async (ns: string, name: string) => {
      const data = secrets[`${ns}/${name}`];
      return data ? { data, ...(forgeURL ? { annotations: { 'agentlab.dev/forge-url': forgeURL } } : {}) } : undefined;
    },
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
    [{}, /^spec\.issueTracker\.secretRef: Secret homelab\/forgejo-token not found; create it with: kubectl -n homelab create secret generic forgejo-token --from-literal=token=<token>, then allow it for the forge: kubectl -n homelab annotate secret forgejo-token agentlab.dev\/forge-url=https:\/\/git.example.org/],
    [{ 'homelab/forgejo-token': { pat: TOKEN } }, /^spec\.issueTracker\.secretRef: Secret homelab\/forgejo-token has no key "token"/],
    [{ 'homelab/forgejo-token': { token: '  \n' } }, /^spec\.issueTracker\.secretRef: key "token" of Secret homelab\/forgejo-token is empty/],
  ])('a missing Secret, key or token is IssueTrackerUnavailable naming them (%#)', async (secrets, message) => {
    const r = await resolveTracker(deps(secrets), 'homelab', SPEC);
    expect(r).toEqual({ ok: false, reason: 'IssueTrackerUnavailable', message: expect.stringMatching(message) });
  });

  it('names the deprecated block in field paths, and reports a bad spec without the token', async () => {
    const r = await resolveTracker(deps({ 'ns/gh': { token: TOKEN } }, 'https://api.github.com'), 'ns', { ...SPEC, provider: 'github', baseURL: undefined, repository: 'not a repo', secretRef: { name: 'gh', key: 'token' }, block: 'github' });
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.message).toMatch(/^spec\.github: repository "not a repo" is not "owner\/name"/);
      expect(r.message).not.toContain(TOKEN);
    }
  });

  it('refuses a Secret that does not name the tracker\'s base URL, before the token is used, saying what to add', async () => {
    const evil = { ...SPEC, baseURL: 'https://collector.attacker.example/' };
    const d = deps({ 'homelab/db-password': { token: TOKEN } });
    const r = await resolveTracker(d, 'homelab', { ...evil, secretRef: { name: 'db-password', key: 'token' } });
    expect(r).toEqual({
      ok: false, reason: 'ForgeTokenNotAllowed',
      message: 'spec.issueTracker.secretRef: Secret homelab/db-password is for https://git.example.org (annotation agentlab.dev/forge-url), not https://collector.attacker.example, so its token is not sent there; if the Secret holds a forgejo token meant for https://collector.attacker.example, allow it with: kubectl -n homelab annotate secret db-password --overwrite agentlab.dev/forge-url=https://git.example.org,https://collector.attacker.example (docs/issues.md: forge token Secrets)',
    });
    expect(d.built).toEqual([]);
    // No annotation at all: refused for GitHub's default API root too.
    const none = await resolveTracker(deps({ 'ns/gh': { token: TOKEN } }, null), 'ns', { ...SPEC, provider: 'github', baseURL: undefined, secretRef: { name: 'gh', key: 'token' } });
    expect(none).toEqual({ ok: false, reason: 'ForgeTokenNotAllowed', message: expect.stringContaining('Secret ns/gh does not name https://api.github.com in its agentlab.dev/forge-url annotation') });
    if (!none.ok) expect(none.message).not.toContain(TOKEN);
  });

  it('says which Secret and key the forge refused', () => {
    expect(unauthorizedMessage('homelab', SPEC)).toBe('forgejo refused the token in key "token" of Secret homelab/forgejo-token (spec.issueTracker.secretRef): it is wrong, expired or revoked; put a valid token there');
  });
});
