import type { Logger } from 'pino';
import { isAlreadyExists, type KubeClient, type KubeObject } from '../runtime/kube.js';
import { CONFIGMAPS } from '../model/lanes/resources.js';
import { checkReportBody, runReportConfigMap } from '../model/agentrun/report.js';
import { RouterError, validationError } from './errors.js';
import type { Identity } from './tokens.js';

/**
 * POST /agentlab/v1/report: a runner without a kubelet (an agent in a KubeVirt VM) hands in its
 * termination message and transcript with its run token; stored once per run in the router's
 * namespace (model/agentrun/report.ts) for the AgentRun controller. The run comes from the token,
 * never from the body: a run can only report for itself, and only once.
 */
export async function storeRunReport(client: KubeClient, routerNamespace: string, id: Identity, body: unknown, log: Logger): Promise<{ namespace: string; run: string }> {
  const check = checkReportBody(body);
  if (!check.ok) throw validationError(`report of run ${id.namespace}/${id.run}: ${check.message}`, 'invalid_report');
  try {
    await client.create(CONFIGMAPS, runReportConfigMap(routerNamespace, id.namespace, id.run, check.report, id.owner) as KubeObject);
  } catch (err) {
    if (isAlreadyExists(err)) throw new RouterError('validation', 409, 'already_reported', `run ${id.namespace}/${id.run} has already reported; a run reports once`);
    throw new RouterError('upstream', 503, 'report_not_stored', `the report of run ${id.namespace}/${id.run} could not be stored: ${(err as Error).message}; retry`);
  }
  log.info({ namespace: id.namespace, run: id.run }, 'run report stored');
  return { namespace: id.namespace, run: id.run };
}
