/** k8s.io/api/core/v1 messages (generated.proto): the parts kubectl's typed clients send. */
import { INLINE, KEEP, MAP, NULLABLE, REP, message, object } from './descriptor.js';
import { Condition, ObjectMeta } from './meta.js';

const CORE = 'k8s.io.api.core.v1';

export const LocalObjectReference = message(`${CORE}.LocalObjectReference`, { 1: ['name', 'string'] });

export const ObjectReference = message(`${CORE}.ObjectReference`, {
  1: ['kind', 'string'], 2: ['namespace', 'string'], 3: ['name', 'string'], 4: ['uid', 'string'],
  5: ['apiVersion', 'string'], 6: ['resourceVersion', 'string'], 7: ['fieldPath', 'string'],
});

// ---- ConfigMap, Secret, Namespace, ServiceAccount ----

export const ConfigMap = message(`${CORE}.ConfigMap`, {
  1: ['metadata', ObjectMeta], 2: ['data', 'string', MAP], 3: ['binaryData', 'bytes', MAP], 4: ['immutable', 'bool', KEEP],
});

export const Secret = message(`${CORE}.Secret`, {
  1: ['metadata', ObjectMeta], 2: ['data', 'bytes', MAP], 3: ['type', 'string'], 4: ['stringData', 'string', MAP],
  5: ['immutable', 'bool', KEEP],
});

export const NamespaceCondition = message(`${CORE}.NamespaceCondition`, {
  1: ['type', 'string'], 2: ['status', 'string'], 4: ['lastTransitionTime', 'time'], 5: ['reason', 'string'], 6: ['message', 'string'],
});

export const Namespace = object(`${CORE}.Namespace`, ObjectMeta,
  message(`${CORE}.NamespaceSpec`, { 1: ['finalizers', 'string', REP] }),
  message(`${CORE}.NamespaceStatus`, { 1: ['phase', 'string'], 2: ['conditions', NamespaceCondition, REP] }));

export const ServiceAccount = message(`${CORE}.ServiceAccount`, {
  1: ['metadata', ObjectMeta], 2: ['secrets', ObjectReference, REP], 3: ['imagePullSecrets', LocalObjectReference, REP],
  4: ['automountServiceAccountToken', 'bool', KEEP],
});

export const ResourceQuota = object(`${CORE}.ResourceQuota`, ObjectMeta,
  message(`${CORE}.ResourceQuotaSpec`, {
    1: ['hard', 'quantity', MAP], 2: ['scopes', 'string', REP],
    3: ['scopeSelector', message(`${CORE}.ScopeSelector`, {
      1: ['matchExpressions', message(`${CORE}.ScopedResourceSelectorRequirement`, {
        1: ['scopeName', 'string'], 2: ['operator', 'string'], 3: ['values', 'string', REP],
      }), REP],
    })],
  }),
  message(`${CORE}.ResourceQuotaStatus`, { 1: ['hard', 'quantity', MAP], 2: ['used', 'quantity', MAP] }));

// ---- Service ----

export const ServicePort = message(`${CORE}.ServicePort`, {
  1: ['name', 'string'], 2: ['protocol', 'string'], 3: ['port', 'int32'], 4: ['targetPort', 'intstr'],
  5: ['nodePort', 'int32'], 6: ['appProtocol', 'string', KEEP],
});

const SessionAffinityConfig = message(`${CORE}.SessionAffinityConfig`, {
  1: ['clientIP', message(`${CORE}.ClientIPConfig`, { 1: ['timeoutSeconds', 'int32', KEEP] })],
});

export const ServiceSpec = message(`${CORE}.ServiceSpec`, {
  1: ['ports', ServicePort, REP], 2: ['selector', 'string', MAP], 3: ['clusterIP', 'string'], 4: ['type', 'string'],
  5: ['externalIPs', 'string', REP], 7: ['sessionAffinity', 'string'], 8: ['loadBalancerIP', 'string'],
  9: ['loadBalancerSourceRanges', 'string', REP], 10: ['externalName', 'string'], 11: ['externalTrafficPolicy', 'string'],
  12: ['healthCheckNodePort', 'int32'], 13: ['publishNotReadyAddresses', 'bool'], 14: ['sessionAffinityConfig', SessionAffinityConfig],
  17: ['ipFamilyPolicy', 'string', KEEP], 18: ['clusterIPs', 'string', REP], 19: ['ipFamilies', 'string', REP],
  20: ['allocateLoadBalancerNodePorts', 'bool', KEEP], 21: ['loadBalancerClass', 'string', KEEP],
  22: ['internalTrafficPolicy', 'string', KEEP],
});

const LoadBalancerIngress = message(`${CORE}.LoadBalancerIngress`, { 1: ['ip', 'string'], 2: ['hostname', 'string'] });

export const ServiceStatus = message(`${CORE}.ServiceStatus`, {
  1: ['loadBalancer', message(`${CORE}.LoadBalancerStatus`, { 1: ['ingress', LoadBalancerIngress, REP] })],
  2: ['conditions', Condition, REP],
});

export const Service = object(`${CORE}.Service`, ObjectMeta, ServiceSpec, ServiceStatus);

// ---- Containers ----

export const ContainerPort = message(`${CORE}.ContainerPort`, {
  1: ['name', 'string'], 2: ['hostPort', 'int32'], 3: ['containerPort', 'int32'], 4: ['protocol', 'string'], 5: ['hostIP', 'string'],
});

const KeySelector = (name: string) => message(`${CORE}.${name}`, {
  1: ['localObjectReference', LocalObjectReference, INLINE], 2: ['key', 'string'], 3: ['optional', 'bool', KEEP],
});

export const EnvVarSource = message(`${CORE}.EnvVarSource`, {
  1: ['fieldRef', message(`${CORE}.ObjectFieldSelector`, { 1: ['apiVersion', 'string'], 2: ['fieldPath', 'string'] })],
  2: ['resourceFieldRef', message(`${CORE}.ResourceFieldSelector`, {
    1: ['containerName', 'string'], 2: ['resource', 'string'], 3: ['divisor', 'quantity'],
  })],
  3: ['configMapKeyRef', KeySelector('ConfigMapKeySelector')],
  4: ['secretKeyRef', KeySelector('SecretKeySelector')],
});

export const EnvVar = message(`${CORE}.EnvVar`, { 1: ['name', 'string'], 2: ['value', 'string'], 3: ['valueFrom', EnvVarSource] });

const EnvSource = (name: string) => message(`${CORE}.${name}`, {
  1: ['localObjectReference', LocalObjectReference, INLINE], 2: ['optional', 'bool', KEEP],
});

export const EnvFromSource = message(`${CORE}.EnvFromSource`, {
  1: ['prefix', 'string'], 2: ['configMapRef', EnvSource('ConfigMapEnvSource')], 3: ['secretRef', EnvSource('SecretEnvSource')],
});

export const ResourceRequirements = message(`${CORE}.ResourceRequirements`, {
  1: ['limits', 'quantity', MAP], 2: ['requests', 'quantity', MAP],
  3: ['claims', message(`${CORE}.ResourceClaim`, { 1: ['name', 'string'], 2: ['request', 'string'] }), REP],
});

export const VolumeMount = message(`${CORE}.VolumeMount`, {
  1: ['name', 'string'], 2: ['readOnly', 'bool'], 3: ['mountPath', 'string'], 4: ['subPath', 'string'],
  5: ['mountPropagation', 'string', KEEP], 6: ['subPathExpr', 'string'], 7: ['recursiveReadOnly', 'string', KEEP],
});

const SeccompProfile = message(`${CORE}.SeccompProfile`, { 1: ['type', 'string'], 2: ['localhostProfile', 'string', KEEP] });
const SELinuxOptions = message(`${CORE}.SELinuxOptions`, {
  1: ['user', 'string'], 2: ['role', 'string'], 3: ['type', 'string'], 4: ['level', 'string'],
});

export const SecurityContext = message(`${CORE}.SecurityContext`, {
  1: ['capabilities', message(`${CORE}.Capabilities`, { 1: ['add', 'string', REP], 2: ['drop', 'string', REP] })],
  2: ['privileged', 'bool', KEEP], 3: ['seLinuxOptions', SELinuxOptions], 4: ['runAsUser', 'int64', KEEP],
  5: ['runAsNonRoot', 'bool', KEEP], 6: ['readOnlyRootFilesystem', 'bool', KEEP], 7: ['allowPrivilegeEscalation', 'bool', KEEP],
  8: ['runAsGroup', 'int64', KEEP], 9: ['procMount', 'string', KEEP], 11: ['seccompProfile', SeccompProfile],
});

export const Container = message(`${CORE}.Container`, {
  1: ['name', 'string'], 2: ['image', 'string'], 3: ['command', 'string', REP], 4: ['args', 'string', REP],
  5: ['workingDir', 'string'], 6: ['ports', ContainerPort, REP], 7: ['env', EnvVar, REP], 8: ['resources', ResourceRequirements],
  9: ['volumeMounts', VolumeMount, REP], 13: ['terminationMessagePath', 'string'], 14: ['imagePullPolicy', 'string'],
  15: ['securityContext', SecurityContext], 16: ['stdin', 'bool'], 17: ['stdinOnce', 'bool'], 18: ['tty', 'bool'],
  19: ['envFrom', EnvFromSource, REP], 20: ['terminationMessagePolicy', 'string'], 24: ['restartPolicy', 'string', KEEP],
});

// ---- Volumes (the common sources) ----

const KeyToPath = message(`${CORE}.KeyToPath`, { 1: ['key', 'string'], 2: ['path', 'string'], 3: ['mode', 'int32', KEEP] });

export const VolumeSource = message(`${CORE}.VolumeSource`, {
  1: ['hostPath', message(`${CORE}.HostPathVolumeSource`, { 1: ['path', 'string'], 2: ['type', 'string', KEEP] })],
  2: ['emptyDir', message(`${CORE}.EmptyDirVolumeSource`, { 1: ['medium', 'string'], 2: ['sizeLimit', 'quantity', KEEP] })],
  6: ['secret', message(`${CORE}.SecretVolumeSource`, {
    1: ['secretName', 'string'], 2: ['items', KeyToPath, REP], 3: ['defaultMode', 'int32', KEEP], 4: ['optional', 'bool', KEEP],
  })],
  10: ['persistentVolumeClaim', message(`${CORE}.PersistentVolumeClaimVolumeSource`, {
    1: ['claimName', 'string'], 2: ['readOnly', 'bool'],
  })],
  19: ['configMap', message(`${CORE}.ConfigMapVolumeSource`, {
    1: ['localObjectReference', LocalObjectReference, INLINE], 2: ['items', KeyToPath, REP],
    3: ['defaultMode', 'int32', KEEP], 4: ['optional', 'bool', KEEP],
  })],
});

export const Volume = message(`${CORE}.Volume`, { 1: ['name', 'string'], 2: ['volumeSource', VolumeSource, INLINE] });

// ---- Pods ----

const Toleration = message(`${CORE}.Toleration`, {
  1: ['key', 'string'], 2: ['operator', 'string'], 3: ['value', 'string'], 4: ['effect', 'string'],
  5: ['tolerationSeconds', 'int64', KEEP],
});

export const PodSecurityContext = message(`${CORE}.PodSecurityContext`, {
  1: ['seLinuxOptions', SELinuxOptions], 2: ['runAsUser', 'int64', KEEP], 3: ['runAsNonRoot', 'bool', KEEP],
  4: ['supplementalGroups', 'int64', REP], 5: ['fsGroup', 'int64', KEEP], 6: ['runAsGroup', 'int64', KEEP],
  9: ['fsGroupChangePolicy', 'string', KEEP], 10: ['seccompProfile', SeccompProfile],
});

export const PodSpec = message(`${CORE}.PodSpec`, {
  1: ['volumes', Volume, REP], 2: ['containers', Container, REP, NULLABLE], 3: ['restartPolicy', 'string'],
  4: ['terminationGracePeriodSeconds', 'int64', KEEP], 5: ['activeDeadlineSeconds', 'int64', KEEP], 6: ['dnsPolicy', 'string'],
  7: ['nodeSelector', 'string', MAP], 8: ['serviceAccountName', 'string'], 9: ['serviceAccount', 'string'],
  10: ['nodeName', 'string'], 11: ['hostNetwork', 'bool'], 12: ['hostPID', 'bool'], 13: ['hostIPC', 'bool'],
  14: ['securityContext', PodSecurityContext], 15: ['imagePullSecrets', LocalObjectReference, REP], 16: ['hostname', 'string'],
  17: ['subdomain', 'string'], 19: ['schedulerName', 'string'], 20: ['initContainers', Container, REP],
  21: ['automountServiceAccountToken', 'bool', KEEP], 22: ['tolerations', Toleration, REP], 24: ['priorityClassName', 'string'],
  23: ['hostAliases', message(`${CORE}.HostAlias`, { 1: ['ip', 'string'], 2: ['hostnames', 'string', REP] }), REP],
  25: ['priority', 'int32', KEEP],
  26: ['dnsConfig', message(`${CORE}.PodDNSConfig`, {
    1: ['nameservers', 'string', REP], 2: ['searches', 'string', REP],
    3: ['options', message(`${CORE}.PodDNSConfigOption`, { 1: ['name', 'string'], 2: ['value', 'string', KEEP] }), REP],
  })],
  27: ['shareProcessNamespace', 'bool', KEEP],
  28: ['readinessGates', message(`${CORE}.PodReadinessGate`, { 1: ['conditionType', 'string'] }), REP],
  29: ['runtimeClassName', 'string', KEEP], 30: ['enableServiceLinks', 'bool', KEEP],
  31: ['preemptionPolicy', 'string', KEEP], 35: ['setHostnameAsFQDN', 'bool', KEEP],
  36: ['os', message(`${CORE}.PodOS`, { 1: ['name', 'string'] })], 37: ['hostUsers', 'bool', KEEP],
});

export const PodTemplateSpec = message(`${CORE}.PodTemplateSpec`, { 1: ['metadata', ObjectMeta], 2: ['spec', PodSpec] });

export const PodStatus = message(`${CORE}.PodStatus`, {
  1: ['phase', 'string'], 3: ['message', 'string'], 4: ['reason', 'string'], 5: ['hostIP', 'string'], 6: ['podIP', 'string'],
  7: ['startTime', 'time'], 9: ['qosClass', 'string'], 11: ['nominatedNodeName', 'string'], 14: ['resize', 'string'],
});

export const Pod = object(`${CORE}.Pod`, ObjectMeta, PodSpec, PodStatus);
