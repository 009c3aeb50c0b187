// The node simulator: fake Nodes that schedule and run pods against any Kubernetes API server.
export { startNodeSimulator, LOG_URL_ANNOTATION, type NodeSimulator, type NodeSimulatorOptions, type FakeRegistry, type FakeRegistryEntry } from './simulator.js';
export { HOMELAB_NODES, type SimNode } from './nodes.js';
export { RUNTIME_IMAGES, RUNTIME_IMAGE_PREFIX, type RuntimeImage } from './images.js';
export { ANNOTATION_RUN_SECONDS, ANNOTATION_EXIT_CODE, ANNOTATION_MESSAGE, TERMINATION_PATH_ENV } from './containers.js';
export { simulatedServiceAccess } from './service-access.js';
export { ENDPOINTS_ANNOTATION, ServiceAccessError, podEndpoints, resolveServiceUrl } from './network.js';
