/** The embedded Kubernetes API server (see docs/embedded-apiserver.md). */
export { startApiServer, type ApiServerOptions, type EmbeddedApiServer } from './server.js';
export { FaultInjector, type ErrorFault, type LatencyFault, type FaultStatus, type Verb } from './faults.js';
export { LOG_URL_ANNOTATION } from './proxy.js';
export { kubeconfigYaml } from './kubeconfig.js';
