import { describe, expect, it } from 'vitest';
import { apiServerEgressRules, type EndpointSliceLike } from './apiserver-egress.js';

const https = (port: number) => [{ name: 'https', port, protocol: 'TCP' }];

describe('apiServerEgressRules', () => {
  const cases: { name: string; slices: EndpointSliceLike[]; rules: ReturnType<typeof apiServerEgressRules> }[] = [
    { name: 'no slices', slices: [], rules: [] },
    {
      name: 'one IPv4 endpoint',
      slices: [{ addressType: 'IPv4', endpoints: [{ addresses: ['192.168.1.10'], conditions: { ready: true } }], ports: https(6443) }],
      rules: [{ to: [{ ipBlock: { cidr: '192.168.1.10/32' } }], ports: [{ protocol: 'TCP', port: 6443 }] }],
    },
    {
      name: 'three control-plane nodes, nil ready counts as ready, not-ready left out',
      slices: [{ addressType: 'IPv4', endpoints: [{ addresses: ['10.0.0.3'] }, { addresses: ['10.0.0.1'], conditions: { ready: null } }, { addresses: ['10.0.0.2'], conditions: { ready: false } }], ports: https(6443) }],
      rules: [{ to: [{ ipBlock: { cidr: '10.0.0.1/32' } }, { ipBlock: { cidr: '10.0.0.3/32' } }], ports: [{ protocol: 'TCP', port: 6443 }] }],
    },
    {
      name: 'dual stack: IPv6 as /128, same port merged into one rule',
      slices: [
        { addressType: 'IPv4', endpoints: [{ addresses: ['10.0.0.1'] }], ports: https(6443) },
        { addressType: 'IPv6', endpoints: [{ addresses: ['fd00::1'] }], ports: https(6443) },
      ],
      rules: [{ to: [{ ipBlock: { cidr: '10.0.0.1/32' } }, { ipBlock: { cidr: 'fd00::1/128' } }], ports: [{ protocol: 'TCP', port: 6443 }] }],
    },
    {
      name: 'different ports: one rule each; protocol defaults to TCP',
      slices: [
        { addressType: 'IPv4', endpoints: [{ addresses: ['10.0.0.1'] }], ports: [{ port: 443 }] },
        { addressType: 'IPv4', endpoints: [{ addresses: ['10.0.0.9'] }], ports: https(6443) },
      ],
      rules: [
        { to: [{ ipBlock: { cidr: '10.0.0.1/32' } }], ports: [{ protocol: 'TCP', port: 443 }] },
        { to: [{ ipBlock: { cidr: '10.0.0.9/32' } }], ports: [{ protocol: 'TCP', port: 6443 }] },
      ],
    },
    { name: 'FQDN slice ignored', slices: [{ addressType: 'FQDN', endpoints: [{ addresses: ['api.example.com'] }], ports: https(443) }], rules: [] },
    { name: 'slice without ports', slices: [{ addressType: 'IPv4', endpoints: [{ addresses: ['10.0.0.1'] }], ports: [] }], rules: [] },
    { name: 'slice without endpoints', slices: [{ addressType: 'IPv4', endpoints: null, ports: https(6443) }], rules: [] },
  ];
  it.each(cases)('$name', ({ slices, rules }) => {
    expect(apiServerEgressRules(slices)).toEqual(rules);
  });
});
