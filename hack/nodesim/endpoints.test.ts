import { describe, expect, it } from 'vitest';
import type { V1Pod, V1Service } from '@kubernetes/client-node';
import { desiredEndpoints, resolveTargetPort, sameEndpoints, type Backend } from './endpoints.js';

const svc: V1Service = {
  metadata: { name: 'llm', namespace: 'ns', labels: { team: 'ai' } },
  spec: { selector: { app: 'ollama' }, ports: [{ name: 'http', port: 11434, targetPort: 'http' }] },
};

function backend(name: string, ready: boolean, port: number, labels = { app: 'ollama' }): Backend {
  const pod: V1Pod = {
    metadata: { name, namespace: 'ns', uid: `uid-${name}`, labels },
    spec: { nodeName: 'chief-horse', containers: [{ name: 'ollama', image: 'ollama/ollama', ports: [{ name: 'http', containerPort: 11434 }] }] },
  };
  return { pod, ready, listening: new Map([[11434, port]]), soleListener: port };
}

describe('desiredEndpoints', () => {
  it('points ready pods at their fake server ports, with a targetRef and the service port name', () => {
    const e = desiredEndpoints(svc, [backend('a', true, 40001), backend('b', false, 40001), backend('other', true, 1, { app: 'x' })], '127.0.0.1')!;
    expect(e.metadata).toMatchObject({ name: 'llm', namespace: 'ns', labels: { team: 'ai' } });
    expect(e.subsets).toEqual([{
      addresses: [{ ip: '127.0.0.1', nodeName: 'chief-horse', targetRef: { kind: 'Pod', namespace: 'ns', name: 'a', uid: 'uid-a' } }],
      notReadyAddresses: [{ ip: '127.0.0.1', nodeName: 'chief-horse', targetRef: { kind: 'Pod', namespace: 'ns', name: 'b', uid: 'uid-b' } }],
      ports: [{ name: 'http', port: 40001, protocol: 'TCP' }],
    }]);
  });

  it('groups pods listening on different ports into separate subsets', () => {
    const e = desiredEndpoints(svc, [backend('a', true, 40001), backend('b', true, 40002)], '127.0.0.1')!;
    expect(e.subsets?.map((s) => s.ports?.[0].port)).toEqual([40001, 40002]);
  });

  it('writes empty subsets when nothing matches, and nothing for selector-less services', () => {
    expect(desiredEndpoints(svc, [], '127.0.0.1')?.subsets).toEqual([]);
    expect(desiredEndpoints({ ...svc, spec: { ports: svc.spec!.ports } }, [], '127.0.0.1')).toBeUndefined();
  });

  it('resolves numeric, named and missing target ports', () => {
    const b = backend('a', true, 40001);
    expect(resolveTargetPort(b, 11434, 80)).toBe(40001);
    expect(resolveTargetPort(b, 'http', 80)).toBe(40001);
    expect(resolveTargetPort(b, 'grpc', 80)).toBeUndefined();
    expect(resolveTargetPort({ ...b, listening: new Map(), soleListener: undefined }, undefined, 8080)).toBe(8080);
  });

  it('compares only what matters', () => {
    const a = desiredEndpoints(svc, [backend('a', true, 40001)], '127.0.0.1');
    const b = structuredClone(a)!;
    b.metadata!.resourceVersion = '7';
    expect(sameEndpoints(a, b)).toBe(true);
    expect(sameEndpoints(a, desiredEndpoints(svc, [backend('a', false, 40001)], '127.0.0.1'))).toBe(false);
  });
});
