// `agentlab dev` gives vm AgentRuns both engines, simulated like everything else there: a kata
// RuntimeClass (the pod runs as any pod; the RuntimeClass admission adds its overhead) and
// KubeVirt's VirtualMachineInstance CRD, the trimmed copy the test suite uses, whose VMIs the node
// simulator boots (hack/nodesim/kubevirt.ts). A real cluster installs Kata Containers or KubeVirt
// instead (docs/agents.md).
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

export const VMI_CRD_FILE = fileURLToPath(new URL('../../../test/testdata/kubevirt/virtualmachineinstances.kubevirt.io.yaml', import.meta.url));

/** The kata RuntimeClass as kata-deploy installs it (handler kata; the overhead of its QEMU VM). */
export const DEV_KATA_RUNTIME_CLASS = {
  apiVersion: 'node.k8s.io/v1', kind: 'RuntimeClass',
  metadata: { name: 'kata', labels: { 'app.kubernetes.io/part-of': 'agentlab-dev' } },
  handler: 'kata',
  overhead: { podFixed: { cpu: '250m', memory: '160Mi' } },
};

export interface DevCrd { apiVersion: string; kind: string; metadata: { name: string }; spec: { group: string; versions: { name: string }[]; names: { kind: string } } }

/** The VirtualMachineInstance CRD from the repository's test data; the file is named in any error. */
export async function devVmiCrd(file = VMI_CRD_FILE): Promise<DevCrd> {
  const crd = parse(await readFile(file, 'utf8')) as DevCrd | null;
  if (crd?.kind !== 'CustomResourceDefinition' || !crd.spec?.names?.kind) throw new Error(`${file}: not a CustomResourceDefinition`);
  return crd;
}
