import { describe, expect, it } from 'vitest';
import { issueTrackerSpec } from './issue-tracker-spec.js';

describe('issueTrackerSpec', () => {
  it('is undefined when neither block is set', () => {
    expect(issueTrackerSpec({})).toBeUndefined();
    expect(issueTrackerSpec({ issueTracker: null, github: undefined })).toBeUndefined();
  });

  it('reads an issueTracker block on Forgejo with every field', () => {
    expect(issueTrackerSpec({
      issueTracker: { provider: 'forgejo', baseURL: 'https://git.example.org', repository: 'homelab/infra', issue: 12, commentProgress: false, closeOnSuccess: true, secretRef: { name: 'forgejo-token', key: 'pat' } },
    })).toEqual({
      provider: 'forgejo', baseURL: 'https://git.example.org', repository: 'homelab/infra', issue: 12, commentProgress: false, closeOnSuccess: true,
      secretRef: { name: 'forgejo-token', key: 'pat' }, block: 'issueTracker',
    });
  });

  it('applies the defaults: provider github, commentProgress true, closeOnSuccess false, key token', () => {
    expect(issueTrackerSpec({ issueTracker: { repository: 'a/b', secretRef: { name: 's' } } })).toEqual({
      provider: 'github', repository: 'a/b', createIssue: { title: '', labels: [] }, commentProgress: true, closeOnSuccess: false,
      secretRef: { name: 's', key: 'token' }, block: 'issueTracker',
    });
  });

  it('reads the deprecated github block as provider github (AgentRun createIssue)', () => {
    expect(issueTrackerSpec({ github: { repository: 'acme/portal', createIssue: { title: 'Fix login', labels: ['agentlab'] }, secretRef: { name: 'gh', key: 'token' } } })).toEqual({
      provider: 'github', repository: 'acme/portal', createIssue: { title: 'Fix login', labels: ['agentlab'] }, commentProgress: true, closeOnSuccess: false,
      secretRef: { name: 'gh', key: 'token' }, block: 'github',
    });
  });

  it('takes a HardwareTask\'s labels as the labels of the issue to open, titled by the workflow', () => {
    expect(issueTrackerSpec({ github: { repository: 'a/b', labels: ['hardware'], secretRef: { name: 's' } } })?.createIssue).toEqual({ title: '', labels: ['hardware'] });
    expect(issueTrackerSpec({ issueTracker: { provider: 'forgejo', baseURL: 'http://f', repository: 'a/b', labels: ['storage'], secretRef: { name: 's' } } })?.createIssue).toEqual({ title: '', labels: ['storage'] });
  });

  it('links an issue instead of opening one, and ignores a baseURL or provider in the github block', () => {
    const s = issueTrackerSpec({ github: { provider: 'forgejo', baseURL: 'http://x', repository: 'a/b', issue: 3, secretRef: { name: 's' } } });
    expect(s).toMatchObject({ provider: 'github', issue: 3, block: 'github' });
    expect(s).not.toHaveProperty('baseURL');
    expect(s).not.toHaveProperty('createIssue');
  });

  it('prefers issueTracker when both are present (admission refuses that; the controller still reads one)', () => {
    expect(issueTrackerSpec({ issueTracker: { repository: 'new/one', secretRef: { name: 'a' } }, github: { repository: 'old/one', secretRef: { name: 'b' } } })).toMatchObject({ repository: 'new/one', block: 'issueTracker' });
  });
});
