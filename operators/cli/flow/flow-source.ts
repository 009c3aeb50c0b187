import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { API_VERSION, KINDS } from '../../api/constants.js';
import type { FlowSpec, FlowStatus } from '../../api/generated/flow.js';
import { KubeClient, isNotFound } from '../../runtime/kube.js';
import { UsageError } from '../command.js';
import { loadKubeConfig } from '../kubeconfig.js';
import { parseDocuments, type SourceDocument } from '../validate/documents.js';

/** A Flow to plan or draw: from a file (with the document, for line numbers) or from the cluster (with its status). */
export interface FlowSource {
  namespace: string;
  name: string;
  spec: FlowSpec;
  status?: FlowStatus;
  doc?: SourceDocument;
}

const FLOWS = { group: 'agentlab.dev', version: 'v1alpha1', plural: KINDS.Flow.plural, kind: KINDS.Flow.kind, namespaced: true };

/**
 * A file (or "-" for stdin) when the argument names one, else a Flow in the cluster:
 * `flow/<name>`, `flows/<name>`, `fl/<name>` or `<name>`, in -n <ns> or the kubeconfig's namespace.
 */
export async function loadFlows(arg: string, opts: { namespace?: string; kubeconfig?: string; cwd: string; stdin?: () => string }): Promise<FlowSource[]> {
  const path = resolve(opts.cwd, arg);
  if (arg === '-' || existsSync(path)) {
    const text = arg === '-' ? (opts.stdin ?? (() => readFileSync(0, 'utf8')))() : readFileSync(path, 'utf8');
    const { documents, problems } = parseDocuments(arg === '-' ? '<stdin>' : arg, text);
    if (problems.length > 0) throw new Error(problems.map((p) => `${p.file}:${p.line}: ${p.message}`).join('\n'));
    const flows = documents
      .filter((d) => { const o = d.object as { apiVersion?: string; kind?: string }; return o?.apiVersion === API_VERSION && o.kind === 'Flow'; })
      .map((d) => {
        const o = d.object as { metadata?: { name?: string; namespace?: string }; spec?: FlowSpec };
        if (!o.spec || !Array.isArray(o.spec.nodes)) throw new Error(`${d.file}:${d.line}: Flow/${o.metadata?.name ?? '?'}: spec.nodes is required (run agentlab validate ${arg})`);
        return { namespace: o.metadata?.namespace ?? opts.namespace ?? 'default', name: o.metadata?.name ?? '', spec: o.spec, doc: d };
      });
    if (flows.length === 0) throw new Error(`${arg}: no Flow (${API_VERSION}) in this file`);
    return flows;
  }
  const m = /^(?:(?:flow|flows|fl|flows\.agentlab\.dev)\/)?([a-z0-9]([-a-z0-9.]*[a-z0-9])?)$/.exec(arg);
  if (!m) throw new UsageError(`${arg}: neither a file nor a Flow name (flow/<name>)`);
  const kc = loadKubeConfig(opts.kubeconfig);
  const namespace = opts.namespace ?? kc.getContextObject(kc.getCurrentContext())?.namespace ?? 'default';
  const client = new KubeClient(kc);
  try {
    const obj = await client.get<{ metadata: { name: string }; spec: FlowSpec; status?: FlowStatus }>(FLOWS, namespace, m[1]);
    return [{ namespace, name: obj.metadata.name, spec: obj.spec, status: obj.status ?? {} }];
  } catch (err) {
    if (isNotFound(err)) throw new Error(`flow ${m[1]} not found in namespace ${namespace} (and no file of that name)`);
    throw err;
  } finally {
    client.close();
  }
}
