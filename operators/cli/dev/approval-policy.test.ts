import { describe, expect, it } from 'vitest';
import { approvalPolicyObjects, renderApprovalPolicy } from './approval-policy.js';

const POLICY = 'apiVersion: admissionregistration.k8s.io/v1\nkind: ValidatingAdmissionPolicy\nmetadata: {name: agentlab-approvals}\n';
const BINDING = 'apiVersion: admissionregistration.k8s.io/v1\nkind: ValidatingAdmissionPolicyBinding\nmetadata: {name: agentlab-approvals}\n';

describe('approvalPolicyObjects', () => {
  it('returns every rendered object when the policy and its binding are there', () => {
    const role = 'apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: agentlab-approver}\n';
    expect(approvalPolicyObjects(`---\n${POLICY}---\n${BINDING}---\n${role}`).map((o) => `${o.kind}/${o.metadata.name}`))
      .toEqual(['ValidatingAdmissionPolicy/agentlab-approvals', 'ValidatingAdmissionPolicyBinding/agentlab-approvals', 'ClusterRole/agentlab-approver']);
  });

  it.each([
    ['no binding', POLICY, 'approval-policy.yaml: renders no ValidatingAdmissionPolicyBinding named agentlab-approvals'],
    ['no policy', BINDING, 'approval-policy.yaml: renders no ValidatingAdmissionPolicy named agentlab-approvals'],
    ['a document without a kind', `${POLICY}---\nmetadata: {name: x}\n`, 'approval-policy.yaml: a rendered document has no apiVersion, kind or metadata.name'],
    ['broken YAML', 'kind: [\n', 'approval-policy.yaml: rendered YAML does not parse'],
  ])('refuses %s, naming the file', (_name, text, message) => {
    expect(() => approvalPolicyObjects(text, 'approval-policy.yaml')).toThrow(message);
  });

  it('renders the chart\'s own template with helm', async () => {
    const kinds = (await renderApprovalPolicy()).map((o) => `${o.kind}/${o.metadata.name}`);
    expect(kinds).toContain('ValidatingAdmissionPolicy/agentlab-approvals');
    expect(kinds).toContain('ValidatingAdmissionPolicyBinding/agentlab-approvals');
    expect(kinds).toContain('ClusterRole/agentlab-approver');
  });

  it('says what failed when helm cannot render the chart', async () => {
    await expect(renderApprovalPolicy('/nonexistent/chart')).rejects.toThrow(/helm template templates\/approval-policy.yaml failed: .*nonexistent/);
  });
});
