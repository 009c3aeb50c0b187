import { describe, expect, it } from 'vitest';
import { forgeTokenRefusal, normalizeForgeURL } from './forge-token-opt-in.js';

const secret = (forgeUrl?: string) => ({ namespace: 'lab', name: 'tok', ...(forgeUrl !== undefined ? { annotations: { 'agentlab.dev/forge-url': forgeUrl } } : {}) });

describe('forge token opt-in', () => {
  it.each([
    ['https://Git.Example.org/', 'forgejo', 'https://git.example.org'],
    ['https://git.example.org:443/api/v1/', 'forgejo', 'https://git.example.org'],
    ['https://ghe.example.com/api/v3', 'github', 'https://ghe.example.com/api/v3'],
    ['http://127.0.0.1:3000', 'github', 'http://127.0.0.1:3000'],
    ['ftp://git.example.org', 'github', undefined],
    ['not a url', 'github', undefined],
  ] as const)('normalizes %s (%s)', (url, provider, want) => {
    expect(normalizeForgeURL(url, provider)).toBe(want);
  });

  it.each([
    ['https://git.example.org', 'https://git.example.org/', undefined],
    ['https://a.example, https://git.example.org/api/v1', 'https://git.example.org', undefined],
    ['https://a.example https://git.example.org', 'https://git.example.org', undefined],
    ['http://git.example.org', 'https://git.example.org', 'is for http://git.example.org'],
    ['https://git.example.org.attacker.example', 'https://git.example.org', 'is for https://git.example.org.attacker.example'],
    ['https://git.example.org', 'https://git.example.org:8443', 'not https://git.example.org:8443'],
    [undefined, 'https://git.example.org', 'does not name https://git.example.org'],
    ['', 'https://git.example.org', 'does not name https://git.example.org'],
  ])('annotation %j, baseURL %s', (annotation, baseURL, refused) => {
    const r = forgeTokenRefusal(secret(annotation), 'forgejo', baseURL);
    if (refused === undefined) expect(r).toBeUndefined();
    else expect(r).toContain(refused);
  });

  it('GitHub without baseURL goes to api.github.com, which the Secret must name', () => {
    expect(forgeTokenRefusal(secret('https://api.github.com'), 'github', undefined)).toBeUndefined();
    expect(forgeTokenRefusal(secret(), 'github', undefined)).toBe('Secret lab/tok does not name https://api.github.com in its agentlab.dev/forge-url annotation, so its token is not sent there; if the Secret holds a github token meant for https://api.github.com, allow it with: kubectl -n lab annotate secret tok --overwrite agentlab.dev/forge-url=https://api.github.com (docs/issues.md: forge token Secrets)');
  });
});
