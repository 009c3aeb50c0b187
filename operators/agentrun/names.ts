/**
 * Deterministic names of a run's children: the same run always maps to the same objects, so an
 * operator restart (or a reconcile racing its own cache) finds them instead of making new ones.
 */
export const podName = (run: string) => `${run}-agent`;
export const tokenSecretName = (run: string) => `${run}-router-token`;
export const configMapName = (run: string) => `${run}-config`;
export const transcriptConfigMapName = (run: string) => `${run}-transcript`;
/** ServiceAccount, Role, RoleBinding and NetworkPolicy share the pod's name. */
export const agentName = (run: string) => `${run}-agent`;
/** A Role/RoleBinding in another namespace (kubernetes tool namespaces) cannot be owned: named after the run's namespace too. */
export const foreignAccessName = (runNamespace: string, run: string) => `agentrun-${runNamespace}-${run}`;

export const RUN_LABEL = 'agentlab.dev/run';
export const RUN_NAMESPACE_LABEL = 'agentlab.dev/run-namespace';
export const TRANSCRIPT_KEY = 'transcript.jsonl';
export const RUN_CONFIG_KEY = 'run.json';
/** Label values (agentlab.dev/run) are at most 63 characters, as a Job's name is. */
export const MAX_RUN_NAME = 63;
