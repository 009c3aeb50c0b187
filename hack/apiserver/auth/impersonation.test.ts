import { describe, expect, it } from 'vitest';
import { ApiError } from '../errors.js';
import type { Authorizer } from './authorizer.js';
import { impersonate } from './impersonation.js';

const admin = { username: 'admin', groups: ['system:masters', 'system:authenticated'] };
const bob = { username: 'bob', groups: ['system:authenticated'] };
const mastersOnly: Authorizer = (a) => ({ allowed: a.user.groups.includes('system:masters'), reason: '' });

describe('impersonate', () => {
  it('is the authenticated user without headers', () => {
    expect(impersonate(bob, {}, mastersOnly)).toBe(bob);
  });

  it('acts as the named user and groups, adding system:authenticated', () => {
    expect(impersonate(admin, { 'impersonate-user': 'alice', 'impersonate-group': 'dev, ops' }, mastersOnly))
      .toEqual({ username: 'alice', groups: ['dev', 'ops', 'system:authenticated'] });
    expect(impersonate(admin, { 'impersonate-user': 'system:serviceaccount:lab:runner' }, mastersOnly))
      .toEqual({ username: 'system:serviceaccount:lab:runner', groups: ['system:serviceaccounts', 'system:serviceaccounts:lab', 'system:authenticated'] });
  });

  it('refuses a caller without the impersonate verb, naming what it could not impersonate', () => {
    try {
      impersonate(bob, { 'impersonate-user': 'admin' }, mastersOnly);
      throw new Error('expected a refusal');
    } catch (e) {
      expect((e as ApiError).status).toMatchObject({ code: 403, reason: 'Forbidden', details: { name: 'admin', kind: 'users' },
        message: 'users "admin" is forbidden: User "bob" cannot impersonate resource "users" in API group "" at the cluster scope' });
    }
  });

  it('refuses groups without a user', () => {
    expect(() => impersonate(admin, { 'impersonate-group': 'dev' }, mastersOnly)).toThrow(/without impersonating a user/);
  });
});
