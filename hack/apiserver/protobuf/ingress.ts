/** k8s.io/api/networking/v1 Ingress (generated.proto). */
import { INLINE, KEEP, NULLABLE, REP, message, object } from './descriptor.js';
import { ObjectMeta } from './meta.js';

const NET = 'k8s.io.api.networking.v1';

const IngressBackend = message(`${NET}.IngressBackend`, {
  3: ['resource', message('k8s.io.api.core.v1.TypedLocalObjectReference', {
    1: ['apiGroup', 'string', KEEP], 2: ['kind', 'string'], 3: ['name', 'string'],
  })],
  4: ['service', message(`${NET}.IngressServiceBackend`, {
    1: ['name', 'string'], 2: ['port', message(`${NET}.ServiceBackendPort`, { 1: ['name', 'string'], 2: ['number', 'int32'] })],
  })],
});

const HTTPIngressPath = message(`${NET}.HTTPIngressPath`, {
  1: ['path', 'string'], 2: ['backend', IngressBackend], 3: ['pathType', 'string', KEEP],
});

const IngressRuleValue = message(`${NET}.IngressRuleValue`, {
  1: ['http', message(`${NET}.HTTPIngressRuleValue`, { 1: ['paths', HTTPIngressPath, REP, NULLABLE] })],
});

export const IngressSpec = message(`${NET}.IngressSpec`, {
  1: ['defaultBackend', IngressBackend],
  2: ['tls', message(`${NET}.IngressTLS`, { 1: ['hosts', 'string', REP], 2: ['secretName', 'string'] }), REP],
  3: ['rules', message(`${NET}.IngressRule`, { 1: ['host', 'string'], 2: ['ingressRuleValue', IngressRuleValue, INLINE] }), REP],
  4: ['ingressClassName', 'string', KEEP],
});

const IngressLoadBalancerIngress = message(`${NET}.IngressLoadBalancerIngress`, { 1: ['ip', 'string'], 2: ['hostname', 'string'] });

export const IngressStatus = message(`${NET}.IngressStatus`, {
  1: ['loadBalancer', message(`${NET}.IngressLoadBalancerStatus`, { 1: ['ingress', IngressLoadBalancerIngress, REP] })],
});

export const Ingress = object(`${NET}.Ingress`, ObjectMeta, IngressSpec, IngressStatus);
