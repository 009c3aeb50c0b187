// A pure checker of the Kubernetes Pod Security Standards "restricted" level (which includes
// "baseline"), as the pod-security admission plugin of Kubernetes 1.32 enforces it, written from
// https://kubernetes.io/docs/concepts/security/pod-security-standards/. Linux pods only (the
// Windows exemptions do not apply to anything we create). Returns every violation with its field.

interface SecurityContext {
  privileged?: boolean;
  allowPrivilegeEscalation?: boolean;
  runAsNonRoot?: boolean;
  runAsUser?: number;
  capabilities?: { add?: string[]; drop?: string[] };
  seccompProfile?: { type?: string };
  seLinuxOptions?: { type?: string; user?: string; role?: string };
  appArmorProfile?: { type?: string };
  procMount?: string;
  windowsOptions?: { hostProcess?: boolean };
}
interface Container { name: string; securityContext?: SecurityContext; ports?: { hostPort?: number }[] }
interface PodSecurityContext extends Omit<SecurityContext, 'privileged' | 'allowPrivilegeEscalation' | 'capabilities' | 'procMount'> {
  sysctls?: { name: string }[];
}
export interface PodLike {
  metadata?: { name?: string; annotations?: Record<string, string> };
  spec?: {
    hostNetwork?: boolean;
    hostPID?: boolean;
    hostIPC?: boolean;
    securityContext?: PodSecurityContext;
    containers?: Container[];
    initContainers?: Container[];
    ephemeralContainers?: Container[];
    volumes?: Record<string, unknown>[];
  };
}

/** Capabilities baseline allows to add (the container runtime's default set). */
const BASELINE_CAPABILITIES = new Set(['AUDIT_WRITE', 'CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'FSETID', 'KILL', 'MKNOD', 'NET_BIND_SERVICE', 'SETFCAP', 'SETGID', 'SETPCAP', 'SETUID', 'SYS_CHROOT']);
const SAFE_SYSCTLS = new Set([
  'kernel.shm_rmid_forced', 'net.ipv4.ip_local_port_range', 'net.ipv4.ip_unprivileged_port_start', 'net.ipv4.tcp_syncookies',
  'net.ipv4.ping_group_range', 'net.ipv4.ip_local_reserved_ports', 'net.ipv4.tcp_keepalive_time', 'net.ipv4.tcp_fin_timeout',
  'net.ipv4.tcp_keepalive_intvl', 'net.ipv4.tcp_keepalive_probes',
]);
const SELINUX_TYPES = new Set(['', 'container_t', 'container_init_t', 'container_kvm_t', 'container_engine_t']);
/** The only volume sources restricted allows. */
const RESTRICTED_VOLUMES = new Set(['configMap', 'csi', 'downwardAPI', 'emptyDir', 'ephemeral', 'persistentVolumeClaim', 'projected', 'secret']);

/** Every violation of the restricted level, as `field: what`; empty when the pod passes. Pure. */
export function restrictedViolations(pod: PodLike): string[] {
  const v: string[] = [];
  const spec = pod.spec ?? {};
  const psc = spec.securityContext ?? {};
  const containers: [string, Container][] = [
    ...(spec.containers ?? []).map((c, i) => [`spec.containers[${i}]`, c] as [string, Container]),
    ...(spec.initContainers ?? []).map((c, i) => [`spec.initContainers[${i}]`, c] as [string, Container]),
    ...(spec.ephemeralContainers ?? []).map((c, i) => [`spec.ephemeralContainers[${i}]`, c] as [string, Container]),
  ];

  // ---- baseline ----
  if (psc.windowsOptions?.hostProcess) v.push('spec.securityContext.windowsOptions.hostProcess: must not be true');
  for (const f of ['hostNetwork', 'hostPID', 'hostIPC'] as const) if (spec[f]) v.push(`spec.${f}: must not be true`);
  for (const [i, vol] of (spec.volumes ?? []).entries()) if (vol.hostPath !== undefined) v.push(`spec.volumes[${i}].hostPath: hostPath volumes are forbidden`);
  for (const s of psc.sysctls ?? []) if (!SAFE_SYSCTLS.has(s.name)) v.push(`spec.securityContext.sysctls: ${s.name} is not a safe sysctl`);
  const seLinux = (path: string, o: SecurityContext['seLinuxOptions']) => {
    if (!o) return;
    if (!SELINUX_TYPES.has(o.type ?? '')) v.push(`${path}.seLinuxOptions.type: ${o.type} is not allowed`);
    if (o.user) v.push(`${path}.seLinuxOptions.user: must be unset`);
    if (o.role) v.push(`${path}.seLinuxOptions.role: must be unset`);
  };
  const appArmor = (path: string, t: string | undefined) => {
    if (t !== undefined && t !== 'RuntimeDefault' && t !== 'Localhost') v.push(`${path}.appArmorProfile.type: ${t} is not allowed`);
  };
  seLinux('spec.securityContext', psc.seLinuxOptions);
  appArmor('spec.securityContext', psc.appArmorProfile?.type);
  for (const [k, val] of Object.entries(pod.metadata?.annotations ?? {})) {
    if (k.startsWith('container.apparmor.security.beta.kubernetes.io/') && val !== 'runtime/default' && !val.startsWith('localhost/')) v.push(`metadata.annotations[${k}]: ${val} is not allowed`);
  }

  // ---- restricted ----
  for (const [i, vol] of (spec.volumes ?? []).entries()) {
    const sources = Object.keys(vol).filter((k) => k !== 'name');
    for (const s of sources) if (!RESTRICTED_VOLUMES.has(s)) v.push(`spec.volumes[${i}].${s}: volume type ${s} is not allowed`);
  }
  if (psc.runAsUser === 0) v.push('spec.securityContext.runAsUser: must not be 0');
  const podSeccomp = psc.seccompProfile?.type;
  if (podSeccomp !== undefined && podSeccomp !== 'RuntimeDefault' && podSeccomp !== 'Localhost') v.push(`spec.securityContext.seccompProfile.type: ${podSeccomp} is not allowed`);

  for (const [path, c] of containers) {
    const sc = c.securityContext ?? {};
    const p = `${path}.securityContext`;
    // baseline
    if (sc.windowsOptions?.hostProcess) v.push(`${p}.windowsOptions.hostProcess: must not be true`);
    if (sc.privileged) v.push(`${p}.privileged: must not be true`);
    for (const cap of sc.capabilities?.add ?? []) if (!BASELINE_CAPABILITIES.has(cap)) v.push(`${p}.capabilities.add: ${cap} is not allowed`);
    for (const [j, port] of (c.ports ?? []).entries()) if (port.hostPort) v.push(`${path}.ports[${j}].hostPort: must be unset or 0`);
    seLinux(p, sc.seLinuxOptions);
    appArmor(p, sc.appArmorProfile?.type);
    if (sc.procMount !== undefined && sc.procMount !== 'Default') v.push(`${p}.procMount: must be Default`);
    // restricted
    if (sc.allowPrivilegeEscalation !== false) v.push(`${p}.allowPrivilegeEscalation: must be false`);
    const nonRoot = sc.runAsNonRoot ?? psc.runAsNonRoot;
    if (sc.runAsNonRoot === false || nonRoot !== true) v.push(`${p}.runAsNonRoot: must be true (here or in spec.securityContext)`);
    if (sc.runAsUser === 0) v.push(`${p}.runAsUser: must not be 0`);
    const seccomp = sc.seccompProfile?.type ?? podSeccomp;
    if (seccomp !== 'RuntimeDefault' && seccomp !== 'Localhost') v.push(`${p}.seccompProfile.type: must be RuntimeDefault or Localhost (here or in spec.securityContext)`);
    if (!(sc.capabilities?.drop ?? []).includes('ALL')) v.push(`${p}.capabilities.drop: must include ALL`);
    for (const cap of sc.capabilities?.add ?? []) if (cap !== 'NET_BIND_SERVICE') v.push(`${p}.capabilities.add: only NET_BIND_SERVICE may be added, not ${cap}`);
  }
  return v;
}
