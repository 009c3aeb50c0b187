import { describe, expect, it } from 'vitest';
import { checkConnect, checkHttpRequest, httpPolicy } from './http-policy.js';

const policy = httpPolicy({ allowHosts: ['*.example.com', 'api.github.com', 'localhost:8080', '127.0.0.1', 'xn--bcher-kva.de'] });

describe('checkHttpRequest', () => {
  it.each([
    ['https://a.example.com/x', 'GET', true],
    ['https://a.b.example.com/x', 'GET', true],
    ['https://A.Example.COM/x', 'GET', true], // case-insensitive
    ['https://a.example.com./x', 'GET', true], // trailing dot: the same host
    ['https://example.com/', 'GET', 'host example.com is not allowed'], // the wildcard needs a subdomain
    ['https://evil.com/', 'GET', 'host evil.com is not allowed'],
    ['https://example.com.evil.com/', 'GET', 'host example.com.evil.com is not allowed'],
    ['https://evilexample.com/', 'GET', 'not allowed'],
    ['https://a.example.com.evil.com/', 'GET', 'not allowed'],
    ['https://api.github.com/repos', 'GET', true],
    ['https://x.api.github.com/', 'GET', 'not allowed'], // no wildcard: exact only
    ['https://api.github.com:8443/', 'GET', 'host api.github.com:8443 is not allowed'], // no port in the entry: default port only
    ['http://localhost:8080/', 'GET', true],
    ['http://localhost/', 'GET', 'not allowed'], // entry with a port: that port only
    ['http://localhost:8081/', 'GET', 'not allowed'],
    ['https://api.github.com@evil.com/', 'GET', 'credentials in the URL'],
    ['https://user:pw@api.github.com/', 'GET', 'credentials in the URL'],
    ['http://127.0.0.1/', 'GET', true], // an IP literal that is listed
    ['http://2130706433/', 'GET', true], // the same address, written as a number
    ['http://0x7f.1/', 'GET', true],
    ['http://10.0.0.1/', 'GET', 'host 10.0.0.1 is not allowed'],
    ['http://169.254.169.254/latest/meta-data', 'GET', 'not allowed'],
    ['http://[::1]/', 'GET', 'not allowed'],
    ['http://1.2.3.4.example.com/', 'GET', true], // a name under the wildcard, not an IP literal
    ['https://bücher.de/', 'GET', true], // IDN normalised to punycode
    ['https://BÜCHER.de/', 'GET', true],
    ['https://bucher.de/', 'GET', 'not allowed'],
    ['ftp://a.example.com/', 'GET', 'scheme "ftp" is not allowed'],
    ['file:///etc/passwd', 'GET', 'scheme "file" is not allowed'],
    ['/relative', 'GET', 'is not an absolute URL'],
    ['https://a.example.com/\0', 'GET', 'NUL byte'],
    ['https://a.example.com/', 'POST', 'method POST is not allowed for this run (allowed: GET)'],
    ['https://a.example.com/', 'get', true],
  ])('%s %s -> %s', (url, method, expected) => {
    const v = checkHttpRequest(policy, url, method);
    if (expected === true) expect(v).toMatchObject({ allowed: true });
    else expect(v.allowed ? 'allowed' : v.reason).toContain(expected);
  });

  it('allows the listed methods only', () => {
    const p = httpPolicy({ allowHosts: ['a.example.com'], methods: ['GET', 'POST'] });
    expect(checkHttpRequest(p, 'https://a.example.com/', 'POST').allowed).toBe(true);
    expect(checkHttpRequest(p, 'https://a.example.com/', 'PUT').allowed).toBe(false);
    expect(checkHttpRequest(p, 'https://a.example.com/', 'DELETE').allowed).toBe(false);
  });

  it('never lets a wildcard match an IP literal', () => {
    expect(checkHttpRequest(httpPolicy({ allowHosts: ['*.0.0.1'] }), 'http://127.0.0.1/', 'GET').allowed).toBe(false);
  });
});

describe('checkConnect (an https tunnel: host and port only)', () => {
  const p = httpPolicy({ allowHosts: ['*.example.com', 'api.github.com', 'localhost:8443'] });
  it.each([
    ['api.github.com:443', true],
    ['API.GitHub.com:443', true],
    ['a.b.example.com:443', true],
    ['example.com:443', 'host example.com is not allowed'],
    ['api.github.com:8443', 'host api.github.com:8443 is not allowed'], // no port in the entry: 443 only
    ['api.github.com:80', 'host api.github.com:80 is not allowed'],
    ['localhost:8443', true],
    ['localhost:443', 'not allowed'],
    ['evil.com:443', 'host evil.com is not allowed for this run (allowHosts: *.example.com, api.github.com, localhost:8443)'],
    ['[::1]:443', 'not allowed'],
    ['api.github.com', 'is not host:port'],
    ['user@api.github.com:443', 'is not host:port'],
    ['api.github.com:443/path', 'is not host:port'],
    ['api.github.com:99999', 'is not a valid host:port'],
  ])('%s -> %s', (authority, expected) => {
    const v = checkConnect(p, authority);
    if (expected === true) expect(v.allowed).toBe(true);
    else expect(v.allowed ? '' : v.reason).toContain(expected);
  });
});
