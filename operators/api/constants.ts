/** The AgentLab API group and version; crds/ is the source of truth for the schemas. */
export const GROUP = 'agentlab.dev';
export const VERSION = 'v1alpha1';
export const API_VERSION = `${GROUP}/${VERSION}`;

export interface KindInfo {
  kind: string;
  plural: string;
  singular: string;
  shortNames: string[];
  namespaced: boolean;
}

export const KINDS = {
  ModelServer: { kind: 'ModelServer', plural: 'modelservers', singular: 'modelserver', shortNames: ['ms'], namespaced: true },
  LanePolicy: { kind: 'LanePolicy', plural: 'lanepolicies', singular: 'lanepolicy', shortNames: ['lane', 'lanes'], namespaced: false },
  AgentRun: { kind: 'AgentRun', plural: 'agentruns', singular: 'agentrun', shortNames: ['ar'], namespaced: true },
  Flow: { kind: 'Flow', plural: 'flows', singular: 'flow', shortNames: ['fl'], namespaced: true },
  HardwareTask: { kind: 'HardwareTask', plural: 'hardwaretasks', singular: 'hardwaretask', shortNames: ['hwt'], namespaced: true },
} as const satisfies Record<string, KindInfo>;

export const CATEGORY = 'agentlab';
