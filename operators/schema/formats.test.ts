import { describe, expect, it } from 'vitest';
import { checkFormat, isSupportedFormat } from './formats.js';

describe('formats', () => {
  it.each<[string, string, boolean]>([
    ['date-time', '2024-01-02T03:04:05Z', true],
    ['date-time', '2024-01-02T03:04:05.123456789+01:00', true],
    ['date-time', '2024-02-30T00:00:00Z', false],
    ['date-time', 'yesterday', false],
    ['date', '2024-02-29', true],
    ['date', '2023-02-29', false],
    ['uri', 'https://example.com/a?b=c', true],
    ['uri', '/absolute/path', true],
    ['uri', 'relative/path', false],
    ['uri', 'http://bad%zz', false],
    ['email', 'ops@example.com', true],
    ['email', 'not-an-email', false],
    ['hostname', 'chief-horse.local', true],
    ['hostname', '-bad-', false],
    ['ipv4', '192.168.1.10', true],
    ['ipv4', '192.168.01.10', false],
    ['ipv4', '256.1.1.1', false],
    ['ipv6', '::1', true],
    ['ipv6', 'fe80::1:2:3:4', true],
    ['ipv6', '::ffff:10.0.0.1', true],
    ['ipv6', '1::2::3', false],
    ['cidr', '10.0.0.0/8', true],
    ['cidr', '10.0.0.0/33', false],
    ['cidr', 'fd00::/64', true],
    ['mac', '00:1a:2b:3c:4d:5e', true],
    ['mac', '00:1a:2b:3c:4d', false],
    ['uuid', '123e4567-e89b-12d3-a456-426614174000', true],
    ['uuid', '123e4567', false],
    ['byte', 'aGVsbG8=', true],
    ['byte', 'not base64!', false],
    ['duration', '1h30m', true],
    ['duration', '3 days', true],
    ['duration', 'soon', false],
    ['duration', '0', true],
    ['hexcolor', '#ff00aa', true],
    ['rgbcolor', 'rgb(255, 0, 12)', true],
    ['password', 'anything', true],
  ])('%s %j -> %s', (format, value, ok) => {
    expect(checkFormat(format, value)).toBe(ok);
  });

  it('knows which formats the apiserver checks', () => {
    expect(isSupportedFormat('date-time')).toBe(true);
    expect(isSupportedFormat('datetime')).toBe(true);
    expect(isSupportedFormat('int32')).toBe(false);
    expect(checkFormat('int32', 'whatever')).toBe(true);
  });
});
