import type { TestUser } from './test-users.js';

export type BackendName = 'embedded' | 'envtest' | 'kubeconfig' | 'k3s';

/** A running control plane the integration suite talks to. */
export interface Backend {
  name: BackendName;
  /** Human-readable detail for the one-line banner (URL, binary folder, image...). */
  detail: string;
  kubeconfigPath: string;
  /** Whether the backend is ours to mutate freely (false for a developer's existing cluster). */
  disposable: boolean;
  /** Users whose tokens the server's token file holds (empty where the harness does not start the server). */
  tokenUsers: TestUser[];
  stop(): Promise<void>;
}
