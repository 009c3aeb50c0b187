import type { AgentRunSpec, AgentRunStatus } from '../api/generated/agentrun.js';
import type { KubeObject } from '../runtime/kube.js';

/** An AgentRun as the runtime caches it (metadata as JSON: times are strings). */
export type AgentRun = KubeObject & { metadata: NonNullable<KubeObject['metadata']>; spec: AgentRunSpec; status?: AgentRunStatus };
