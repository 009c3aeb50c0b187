/** Helpers for the chart tests: run the real helm binary, render the chart, pick objects apart. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { helmPath } from '../../hack/helm.js';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const CHART_DIR = path.join(ROOT, 'charts', 'agentlab');

export interface Obj {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [key: string]: unknown;
}

export interface HelmResult { code: number; stdout: string; stderr: string }

const scratch = mkdtempSync(path.join(tmpdir(), 'agentlab-helm-'));

/** Runs helm with its caches and config in a scratch directory (never the developer's ~/.config/helm). */
export function helm(args: string[]): HelmResult {
  const r = spawnSync(helmPath(), args, {
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', HOME: scratch, HELM_CACHE_HOME: path.join(scratch, 'cache'), HELM_CONFIG_HOME: path.join(scratch, 'config'), HELM_DATA_HOME: path.join(scratch, 'data') },
    timeout: 60_000,
  });
  if (r.error) throw r.error;
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

let valuesFiles = 0;

/** `helm template` arguments for a values object (written to a file, as a user would). */
export function valuesArgs(values?: object): string[] {
  if (!values) return [];
  const file = path.join(scratch, `values-${++valuesFiles}.json`);
  writeFileSync(file, JSON.stringify(values));
  return ['--values', file];
}

/** Renders the chart; throws with helm's message when it fails. */
export function renderChart(opts: { release?: string; namespace?: string; values?: object } = {}): Obj[] {
  const r = helm(['template', opts.release ?? 'agentlab', CHART_DIR, '--namespace', opts.namespace ?? 'agentlab-system', ...valuesArgs(opts.values)]);
  if (r.code !== 0) throw new Error(`helm template failed: ${r.stderr}`);
  return parseManifests(r.stdout);
}

export function parseManifests(text: string): Obj[] {
  return parseAllDocuments(text)
    .map((d) => {
      if (d.errors.length > 0) throw new Error(`rendered YAML does not parse: ${d.errors[0].message}`);
      return d.toJS() as Obj | null;
    })
    .filter((o): o is Obj => o !== null);
}

/** Values that switch every optional part on and change the defaults a user is likely to change. */
export const ALL_ON = {
  operator: { replicas: 2, logLevel: 'debug', watchNamespaces: ['lab', 'agents'], podAnnotations: { 'example.com/team': 'homelab' } },
  router: { replicas: 2, port: 11434, service: { type: 'ClusterIP', port: 11434 } },
  image: { repository: 'registry.example.com/agentlab', digest: `sha256:${'a'.repeat(64)}` },
  runner: { image: { repository: 'registry.example.com/agent-runner', digest: `sha256:${'b'.repeat(64)}` } },
  imagePullSecrets: [{ name: 'registry' }],
  metrics: { serviceMonitor: { enabled: true, labels: { release: 'kube-prometheus-stack' } }, prometheusRule: { enabled: true } },
  grafanaDashboard: { enabled: true, annotations: { grafana_folder: 'AgentLab' } },
  networkPolicy: { enabled: true, metricsNamespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } },
};

export function find(objects: Obj[], kind: string, nameSuffix: string): Obj {
  const o = objects.find((x) => x.kind === kind && x.metadata.name.endsWith(nameSuffix));
  if (!o) throw new Error(`no ${kind} named *${nameSuffix} in the rendered chart`);
  return o;
}

interface Container { name: string; args?: string[]; securityContext?: Record<string, unknown>; [k: string]: unknown }
export interface PodSpec { containers: Container[]; securityContext?: Record<string, unknown>; [k: string]: unknown }

export function podSpec(workload: Obj): PodSpec {
  return (workload as unknown as { spec: { template: { spec: PodSpec } } }).spec.template.spec;
}
