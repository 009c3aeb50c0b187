import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_TEXT, parseCommand } from './commands.js';

describe('parseCommand', () => {
  it.each([
    ['/approve', { verb: 'approve' }],
    ['  /approve  ', { verb: 'approve' }],
    ['\n\n/approve\nthanks!', { verb: 'approve' }],
    ['/approve\r\nfrom my phone', { verb: 'approve' }],
    ['/reject', { verb: 'reject' }],
    ['/reject the disk is the wrong size', { verb: 'reject', reason: 'the disk is the wrong size' }],
    ['/reject\nwrong size\nuse 8 TB', { verb: 'reject', reason: 'wrong size\nuse 8 TB' }],
    ['/done buy-disk', { verb: 'done', step: 'buy-disk' }],
    ['/done buy-disk bought a 4 TB WD Red', { verb: 'done', step: 'buy-disk', notes: 'bought a 4 TB WD Red' }],
    ['/done fit-disk\nserial WX123', { verb: 'done', step: 'fit-disk', notes: 'serial WX123' }],
  ] as const)('%j -> %j', (body, want) => {
    expect(parseCommand(body)).toEqual(want);
  });

  it.each([
    '', '   \n  ', 'approve', '/Approve', '/APPROVE', '/approved', '/approve please', 'LGTM /approve', '> /approve', 'Looks good\n/approve',
    '/done', '/done Buy-Disk', '/done -disk', '/done buy_disk', '/rejected', '/lgtm', '<!-- agentlab:status x -->\n/approve',
  ])('%j is no command', (body) => {
    expect(parseCommand(body)).toBeUndefined();
  });

  it('cuts a long reason at the status field\'s 1024 characters', () => {
    const c = parseCommand(`/reject ${'x'.repeat(5000)}`);
    expect(c).toEqual({ verb: 'reject', reason: 'x'.repeat(MAX_TEXT) });
  });

  it('never throws, and a command comes only from a first line starting with its verb', () => {
    fc.assert(fc.property(fc.string({ maxLength: 300 }), (body) => {
      const c = parseCommand(body);
      if (!c) return;
      const first = body.replace(/\r\n/g, '\n').split('\n').find((l) => l.trim() !== '')!.trim();
      expect(first.startsWith(`/${c.verb}`)).toBe(true);
      if (c.verb === 'reject' && c.reason !== undefined) expect(c.reason.length).toBeLessThanOrEqual(MAX_TEXT);
    }));
  });
});
