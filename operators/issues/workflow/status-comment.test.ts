import { describe, expect, it } from 'vitest';
import { statusMarker } from './markers.js';
import { renderStatusComment, type StatusView, type WorkflowSubject } from './status-comment.js';

const SUBJECT: WorkflowSubject = { kind: 'HardwareTask', namespace: 'homelab', name: 'node-2-storage', uid: 'uid-1' };

describe('renderStatusComment', () => {
  it('renders the whole view as Markdown under the marker', () => {
    const view: StatusView = {
      title: 'Expand storage', phase: 'Running', summary: 'Analysis: /var is 92% full.',
      steps: [
        { name: 'analyze', state: 'done', note: 'report attached' }, { name: 'buy-disk', state: 'waiting' }, { name: 'fit-disk', state: 'running' },
        { name: 'check', state: 'failed', note: 'smartctl:\nreallocated sectors' }, { name: 'document', state: 'pending' },
      ],
      usage: { totalTokens: 12345, costUSD: '0.42' },
      approval: { asked: true, decision: 'Approved', decidedBy: 'alice', via: 'forgejo', url: 'https://git.example.org/homelab/infra/issues/7#issuecomment-9', reason: 'go' },
      result: 'Disk added.', links: [{ label: 'transcript', url: 'https://example.org/t' }, { label: 'commit', url: 'https://git.example.org/c/1' }],
    };
    expect(renderStatusComment(SUBJECT, view)).toBe([
      statusMarker('uid-1'),
      '### HardwareTask `homelab/node-2-storage`: **Running**',
      '',
      'Analysis: /var is 92% full.',
      '',
      '**Steps**',
      '',
      '- ✅ `analyze` — report attached',
      '- ⏸ `buy-disk`',
      '- ⏳ `fit-disk`',
      '- ❌ `check` — smartctl: reallocated sectors',
      '- ▫ `document`',
      '',
      '**Approval:** ✅ approved by **alice** via forgejo ([comment](https://git.example.org/homelab/infra/issues/7#issuecomment-9)): go',
      '',
      '**Usage:** 12,345 tokens, $0.42',
      '',
      '**Result**',
      '',
      'Disk added.',
      '',
      '**Links:** [transcript](https://example.org/t) · [commit](https://git.example.org/c/1)',
      '',
      '<sub>AgentLab keeps this comment up to date.</sub>',
    ].join('\n'));
  });

  it('is deterministic and minimal for a bare view; says how to approve while an approval is asked', () => {
    const view: StatusView = { title: 't', phase: 'WaitingForApproval', approval: { asked: true } };
    const a = renderStatusComment(SUBJECT, view);
    expect(renderStatusComment(SUBJECT, { ...view })).toBe(a);
    expect(a).toContain('`/approve` or `/reject <reason>`');
    expect(renderStatusComment(SUBJECT, { title: 't', phase: 'Pending' }).split('\n')).toHaveLength(4);
  });

  it('stays under the forge\'s comment size and never links a non-http URL', () => {
    const body = renderStatusComment(SUBJECT, { title: 't', phase: 'Failed', summary: 's'.repeat(100_000), result: 'r'.repeat(100_000), links: [{ label: 'x', url: 'javascript:alert(1)' }] });
    expect(body.length).toBeLessThan(65_536);
    expect(body).toContain('**Links:** x');
    expect(body).toContain('cut at 20000 characters');
  });

  it('renders a rejection with its reason', () => {
    expect(renderStatusComment(SUBJECT, { title: 't', phase: 'Failed', approval: { asked: true, decision: 'Rejected', decidedBy: 'bob', via: 'kubectl', reason: 'not now' } }))
      .toContain('**Approval:** ❌ rejected by **bob** via kubectl: not now');
  });
});
