// What a container image means to the simulator: a fake model server, one of the project's own
// runtime images run as a local process, or an opaque image driven by pod annotations.
import { createHash } from 'node:crypto';

/** One of the project's runtime images and the TypeScript module that is its entrypoint. */
export interface RuntimeImage {
  /** Image name without tag or digest, e.g. `ghcr.io/agentlab/agent-runner`. */
  image: string;
  /** Entrypoint module, relative to the repository root (run with tsx). */
  entrypoint: string;
}

export const RUNTIME_IMAGE_PREFIX = 'ghcr.io/agentlab/';

/** The project's images; the entrypoints are written by the component owners. */
export const RUNTIME_IMAGES: RuntimeImage[] = [
  // The operator image: its entrypoint is the `agentlab` command, the chart passes `run` or `router`.
  { image: 'ghcr.io/agentlab/agentlab', entrypoint: 'operators/cli/main.ts' },
  { image: 'ghcr.io/agentlab/agent-runner', entrypoint: 'operators/agent-runner/main.ts' },
  // The KubeVirt containerDisk carrying the runner (engine kubevirt): its guest runs the same entrypoint (kubevirt.ts).
  { image: 'ghcr.io/agentlab/agent-runner-disk', entrypoint: 'operators/agent-runner/main.ts' },
  // The step runner; its run-commands role answers from the node's simulated hardware (step-runner-sim.ts).
  { image: 'ghcr.io/agentlab/step-runner', entrypoint: 'hack/nodesim/step-runner-sim.ts' },
];

export type ImageKind =
  | { kind: 'ollama' }
  | { kind: 'vllm' }
  | { kind: 'runtime'; entrypoint: string }
  | { kind: 'scripted' };

/** Strips `:tag` and `@digest`, keeping a registry port (`host:5000/x`). */
export function imageName(image: string): string {
  const noDigest = image.split('@')[0];
  const slash = noDigest.lastIndexOf('/');
  const colon = noDigest.lastIndexOf(':');
  return colon > slash ? noDigest.slice(0, colon) : noDigest;
}

/** Docker Hub short names resolve to docker.io/library/... or docker.io/<org>/... */
function canonicalName(image: string): string {
  const name = imageName(image);
  const first = name.split('/')[0];
  const hasRegistry = name.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost');
  if (hasRegistry) return name;
  return name.includes('/') ? `docker.io/${name}` : `docker.io/library/${name}`;
}

export function classifyImage(image: string, runtimeImages: RuntimeImage[] = RUNTIME_IMAGES): ImageKind {
  const name = canonicalName(image);
  if (name === 'docker.io/ollama/ollama') return { kind: 'ollama' };
  if (name === 'docker.io/vllm/vllm-openai') return { kind: 'vllm' };
  const runtime = runtimeImages.find((r) => canonicalName(r.image) === name);
  if (runtime) return { kind: 'runtime', entrypoint: runtime.entrypoint };
  return { kind: 'scripted' };
}

/** The fully qualified image reference and a stable imageID, as containerd reports them. */
export function imageRefs(image: string): { image: string; imageID: string } {
  const name = canonicalName(image);
  const tagged = image.includes('@') || image.slice(image.lastIndexOf('/') + 1).includes(':') ? image : `${image}:latest`;
  const qualified = tagged.startsWith(name) ? tagged : `${name}${tagged.slice(imageName(image).length)}`;
  const digest = createHash('sha256').update(qualified).digest('hex');
  return { image: qualified, imageID: `${name}@sha256:${digest}` };
}
