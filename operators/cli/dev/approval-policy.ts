// `agentlab dev` installs the chart's approval policy, so that approval-required AgentRuns work
// there as in a cluster with the chart: the same ValidatingAdmissionPolicy and binding (the
// AgentRun controller trusts a decision only while both exist), and the approver roles.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';

export const CHART_DIR = fileURLToPath(new URL('../../../charts/agentlab/', import.meta.url));
export const APPROVAL_POLICY_TEMPLATE = 'templates/approval-policy.yaml';
export const APPROVAL_POLICY_NAME = 'agentlab-approvals';

export interface RenderedObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; [k: string]: unknown };
  [k: string]: unknown;
}

/**
 * The objects of the rendered template, checked: the policy and its binding must be there (the
 * controller looks for both by name), every document must be an object with a kind and a name.
 */
export function approvalPolicyObjects(rendered: string, source = APPROVAL_POLICY_TEMPLATE): RenderedObject[] {
  const objects: RenderedObject[] = [];
  for (const doc of parseAllDocuments(rendered)) {
    if (doc.errors.length > 0) throw new Error(`${source}: rendered YAML does not parse: ${doc.errors[0].message}`);
    const o = doc.toJS() as RenderedObject | null;
    if (o === null) continue;
    if (typeof o !== 'object' || !o.apiVersion || !o.kind || !o.metadata?.name) throw new Error(`${source}: a rendered document has no apiVersion, kind or metadata.name`);
    objects.push(o);
  }
  for (const kind of ['ValidatingAdmissionPolicy', 'ValidatingAdmissionPolicyBinding']) {
    if (!objects.some((o) => o.kind === kind && o.metadata.name === APPROVAL_POLICY_NAME)) {
      throw new Error(`${source}: renders no ${kind} named ${APPROVAL_POLICY_NAME}`);
    }
  }
  return objects;
}

/**
 * Renders the template with the chart's default values by `helm template` (the same helm the
 * chart tests use, from hack/helm.ts); throws with helm's message when that fails.
 */
export async function renderApprovalPolicy(chartDir = CHART_DIR): Promise<RenderedObject[]> {
  const { helmPath } = await import('../../../hack/helm.js');
  // helm writes caches and config under HOME: a scratch directory, never the user's ~/.config/helm.
  const scratch = mkdtempSync(join(tmpdir(), 'agentlab-dev-helm-'));
  try {
    const r = spawnSync(helmPath(), ['template', 'agentlab', chartDir, '--namespace', 'agentlab-system', '--show-only', APPROVAL_POLICY_TEMPLATE], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '', HOME: scratch, HELM_CACHE_HOME: join(scratch, 'cache'), HELM_CONFIG_HOME: join(scratch, 'config'), HELM_DATA_HOME: join(scratch, 'data') },
      timeout: 60_000,
    });
    if (r.error) throw new Error(`helm template ${APPROVAL_POLICY_TEMPLATE}: ${r.error.message}`);
    if (r.status !== 0) throw new Error(`helm template ${APPROVAL_POLICY_TEMPLATE} failed: ${r.stderr.trim()}`);
    return approvalPolicyObjects(r.stdout, join(chartDir, APPROVAL_POLICY_TEMPLATE));
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
