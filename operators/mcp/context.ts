import type { Logger } from 'pino';
import type { CustomResourceDefinition } from '../api/crds.js';
import type { KubeClient } from '../runtime/kube.js';

/** What every tool of one MCP session uses: the caller's API client (their credentials), the CRDs, a logger. */
export interface ToolContext {
  kube: KubeClient;
  crds: CustomResourceDefinition[];
  logger: Logger;
}

/** The field manager of apply_resource, as kubectl's is "kubectl". */
export const FIELD_MANAGER = 'agentlab-mcp';
