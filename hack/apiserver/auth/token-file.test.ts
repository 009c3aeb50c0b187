import { describe, expect, it } from 'vitest';
import { parseTokenFile, TokenFileError } from './token-file.js';

describe('parseTokenFile', () => {
  it('reads token,user,uid,"groups" lines and skips blank ones', () => {
    const users = parseTokenFile('t1,alice,u1,"dev,ops"\n\nt2,bob,u2\n');
    expect(users.get('t1')).toEqual({ username: 'alice', uid: 'u1', groups: ['dev', 'ops'] });
    expect(users.get('t2')).toEqual({ username: 'bob', uid: 'u2', groups: [] });
  });

  it('names the file and line of a record with too few fields', () => {
    expect(() => parseTokenFile('t1,alice,u1\nt2,bob\n', '/etc/tokens.csv')).toThrow(TokenFileError);
    expect(() => parseTokenFile('t1,alice,u1\nt2,bob\n', '/etc/tokens.csv')).toThrow(/^\/etc\/tokens\.csv:2: .*at least 3 fields/);
  });

  it('refuses an unterminated quote', () => {
    expect(() => parseTokenFile('t1,alice,u1,"dev\n', 'f')).toThrow(/f:1: malformed CSV/);
  });
});
