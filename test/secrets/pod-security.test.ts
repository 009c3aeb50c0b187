// The restricted Pod Security checker (pod-security.ts) against the rules of
// https://kubernetes.io/docs/concepts/security/pod-security-standards/, one case per control.
import { describe, expect, it } from 'vitest';
import { restrictedViolations, type PodLike } from './pod-security.js';

const restricted = (): PodLike => ({
  spec: {
    securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
    containers: [{ name: 'c', securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } } }],
    volumes: [{ name: 'v', emptyDir: {} }, { name: 's', secret: { secretName: 'x' } }, { name: 'p', projected: {} }],
  },
});
const withPod = (f: (p: PodLike) => void) => {
  const p = restricted();
  f(p);
  return restrictedViolations(p);
};
const c0 = (p: PodLike) => p.spec!.containers![0];

describe('restrictedViolations', () => {
  it('passes a pod set up as the restricted level asks, and one that sets it per container', () => {
    expect(restrictedViolations(restricted())).toEqual([]);
    expect(withPod((p) => {
      p.spec!.securityContext = {};
      c0(p).securityContext = { allowPrivilegeEscalation: false, runAsNonRoot: true, seccompProfile: { type: 'Localhost' }, capabilities: { drop: ['ALL'], add: ['NET_BIND_SERVICE'] } };
    })).toEqual([]);
  });

  it.each<[string, (p: PodLike) => void, RegExp]>([
    ['host network', (p) => { p.spec!.hostNetwork = true; }, /^spec\.hostNetwork/],
    ['host PID', (p) => { p.spec!.hostPID = true; }, /^spec\.hostPID/],
    ['hostPath volume', (p) => { p.spec!.volumes!.push({ name: 'h', hostPath: { path: '/' } }); }, /hostPath volumes are forbidden/],
    ['nfs volume', (p) => { p.spec!.volumes!.push({ name: 'n', nfs: { server: 'x', path: '/' } }); }, /volume type nfs/],
    ['privileged', (p) => { c0(p).securityContext!.privileged = true; }, /privileged: must not be true/],
    ['privilege escalation unset', (p) => { delete c0(p).securityContext!.allowPrivilegeEscalation; }, /allowPrivilegeEscalation: must be false/],
    ['runAsNonRoot missing', (p) => { delete p.spec!.securityContext!.runAsNonRoot; }, /runAsNonRoot: must be true/],
    ['container runAsNonRoot false overriding the pod', (p) => { c0(p).securityContext!.runAsNonRoot = false; }, /runAsNonRoot: must be true/],
    ['runAsUser 0', (p) => { c0(p).securityContext!.runAsUser = 0; }, /runAsUser: must not be 0/],
    ['seccomp unset', (p) => { delete p.spec!.securityContext!.seccompProfile; }, /seccompProfile\.type: must be RuntimeDefault/],
    ['seccomp Unconfined', (p) => { c0(p).securityContext!.seccompProfile = { type: 'Unconfined' }; }, /seccompProfile\.type: must be RuntimeDefault/],
    ['capabilities not dropped', (p) => { c0(p).securityContext!.capabilities = {}; }, /drop: must include ALL/],
    ['SYS_ADMIN added', (p) => { c0(p).securityContext!.capabilities!.add = ['SYS_ADMIN']; }, /SYS_ADMIN is not allowed/],
    ['CHOWN added (baseline allows it, restricted does not)', (p) => { c0(p).securityContext!.capabilities!.add = ['CHOWN']; }, /only NET_BIND_SERVICE/],
    ['host port', (p) => { c0(p).ports = [{ hostPort: 8080 }]; }, /hostPort: must be unset or 0/],
    ['unsafe sysctl', (p) => { p.spec!.securityContext!.sysctls = [{ name: 'kernel.msgmax' }]; }, /kernel\.msgmax is not a safe sysctl/],
    ['SELinux user', (p) => { c0(p).securityContext!.seLinuxOptions = { user: 'system_u' }; }, /seLinuxOptions\.user/],
    ['AppArmor Unconfined', (p) => { c0(p).securityContext!.appArmorProfile = { type: 'Unconfined' }; }, /appArmorProfile\.type/],
    ['procMount Unmasked', (p) => { c0(p).securityContext!.procMount = 'Unmasked'; }, /procMount: must be Default/],
    ['an init container without restrictions', (p) => { p.spec!.initContainers = [{ name: 'i' }]; }, /^spec\.initContainers\[0\]\.securityContext\.allowPrivilegeEscalation/],
  ])('refuses %s', (_name, mutate, expected) => {
    const v = withPod(mutate);
    expect(v.some((x) => expected.test(x)), v.join('\n')).toBe(true);
  });
});
