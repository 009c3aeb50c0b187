import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * The embedded dev cluster (API server and node simulator) lives in hack/, beside the product,
 * not in it: the container image ships operators/ and crds/ only (docs/adr/0004). `agentlab dev`
 * therefore loads hack/ lazily and first checks that it is there.
 */
const REPO_ROOT = new URL('../../../', import.meta.url);
const DEV_PARTS = ['hack/apiserver/index', 'hack/nodesim/index'];

/** The dev-cluster modules missing under `root` (none in a clone of the repository). */
export function missingDevParts(root: URL = REPO_ROOT): string[] {
  return DEV_PARTS.filter((p) => !['.ts', '.js'].some((ext) => existsSync(fileURLToPath(new URL(p + ext, root)))));
}

export const NO_DEV_CLUSTER = `this installation has no embedded dev cluster: hack/ (the embedded API server and node
simulator) is not part of it, as in the container image, which runs only the operator
("agentlab run") and the lane router ("agentlab router").
To try AgentLab without a cluster, run "npm install && npm start" in a clone of the repository;
to run the operator against a cluster, use "agentlab run --kubeconfig <file>".
`;
