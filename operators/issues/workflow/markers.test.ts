import { describe, expect, it } from 'vitest';
import { hasMarker, issueMarker, milestoneMarker, statusMarker } from './markers.js';

const UID = '6f1c2a9e-1b2c-4d5e-8f90-0123456789ab';

describe('markers', () => {
  it('are hidden HTML comments naming the uid (and the milestone key)', () => {
    expect(issueMarker(UID)).toBe(`<!-- agentlab:issue ${UID} -->`);
    expect(statusMarker(UID)).toBe(`<!-- agentlab:status ${UID} -->`);
    expect(milestoneMarker(UID, 'document:write-docs:docs/node-2.md')).toBe(`<!-- agentlab:milestone ${UID} document:write-docs:docs/node-2.md -->`);
  });

  it('keep a key from closing the comment early or adding spaces', () => {
    const m = milestoneMarker(UID, 'step:a --> b');
    expect(m).toBe(`<!-- agentlab:milestone ${UID} step:a____b -->`);
    expect(m.indexOf('-->')).toBe(m.length - 3);
  });

  it('are found only as a line of their own', () => {
    const m = statusMarker(UID);
    expect(hasMarker(`${m}\n### AgentRun`, m)).toBe(true);
    expect(hasMarker(`intro\r\n  ${m}  \r\nmore`, m)).toBe(true);
    expect(hasMarker(`> ${m}\nquoted`, m)).toBe(false);
    expect(hasMarker(`${statusMarker('other-uid')}`, m)).toBe(false);
    expect(hasMarker(milestoneMarker(UID, 'failed'), milestoneMarker(UID, 'failed-again'))).toBe(false);
  });
});
