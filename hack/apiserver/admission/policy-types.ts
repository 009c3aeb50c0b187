/** admissionregistration.k8s.io/v1 ValidatingAdmissionPolicy and ValidatingAdmissionPolicyBinding, as stored. */
import type { MetaLabelSelector } from '../selectors.js';
import type { MatchResources } from './matching.js';

export interface Validation { expression: string; message?: string; messageExpression?: string; reason?: string }
export interface NamedExpression { name: string; expression: string }

export interface PolicySpec {
  paramKind?: { apiVersion?: string; kind?: string };
  matchConstraints?: MatchResources;
  validations?: Validation[];
  failurePolicy?: 'Fail' | 'Ignore';
  matchConditions?: NamedExpression[];
  variables?: NamedExpression[];
  auditAnnotations?: { key: string; valueExpression: string }[];
}

export interface ValidatingAdmissionPolicy {
  metadata: { name: string; resourceVersion?: string };
  spec?: PolicySpec;
}

export interface ParamRef {
  name?: string; namespace?: string; selector?: MetaLabelSelector; parameterNotFoundAction?: 'Allow' | 'Deny';
}

export interface ValidatingAdmissionPolicyBinding {
  metadata: { name: string; resourceVersion?: string };
  spec?: { policyName?: string; paramRef?: ParamRef; matchResources?: MatchResources; validationActions?: ('Deny' | 'Warn' | 'Audit')[] };
}

export const VAP_GROUP = 'admissionregistration.k8s.io';
export const POLICIES_KEY = `validatingadmissionpolicies.${VAP_GROUP}`;
export const BINDINGS_KEY = `validatingadmissionpolicybindings.${VAP_GROUP}`;
