// Engine kubevirt, the controller's I/O: the GPU check against the KubeVirt CR, the VMI created
// once, followed by polling (VMIs are not watched: a cluster may not serve the API), the
// runner's report read from the router's namespace, and the VMI deleted to stop the run.
import type { AgentRunStatus } from '../api/generated/agentrun.js';
import type { AgentRun } from './types.js';
import { desiredChild } from '../runtime/apply.js';
import type { ReconcileContext } from '../runtime/controller.js';
import { isAlreadyExists, isConflict, isNotFound, KubeApiError, type KubeObject } from '../runtime/kube.js';
import { TerminalError, TransientError, type ReconcileResult } from '../runtime/outcome.js';
import type { RunUsage } from '../model/agentrun/usage.js';
import { isRunsReport, runReportConfigMapName, runReportFromConfigMap, type RunReport } from '../model/agentrun/report.js';
import { desiredTranscript } from './desired.js';
import { afterReport, desiredVmi, gpuHostDevices, KUBEVIRTS, type KubeVirtCR, observeVmi, userDataProblem, VIRTUAL_MACHINE_INSTANCES, vmiEnding, vmiProgress } from './kubevirt.js';
import { podName, TRANSCRIPT_KEY, transcriptConfigMapName } from './names.js';
import { type Ending, stopVerdict } from './phase.js';
import { CONFIGMAPS } from './resources.js';
import { boundedTranscript, parseRunnerLog, parseTermination } from './runner-output.js';
import { kubernetesToolAccess, type RunLimits } from './spec.js';
import { usageStatus } from './status.js';

/** A running VMI is looked at this often (nothing watches it). */
export const VMI_POLL_MS = 5_000;

type Fields = Omit<AgentRunStatus, 'conditions' | 'observedGeneration'>;
type Finish = (ctx: ReconcileContext<AgentRun>, fields: Fields, ending: Ending, extras: { result?: string; counts?: { turns?: number; toolCalls?: number; toolErrors?: number }; usage?: RunUsage }) => Promise<ReconcileResult>;

export interface KubevirtRunOptions {
  /** Namespace of the lane router: the runner's report lands there. */
  routerNamespace: string;
  /** The router's base URL as the guest reaches it. */
  routerUrl: string;
  /** containerDisk image when spec.runtime.image is empty (default DEFAULT_VM_IMAGE). */
  image?: string;
  /** The permitted host device a GPU run gets; default: the KubeVirt CR's first pciHostDevices entry. */
  gpuDevice?: string;
}

export type Admission = { ok: true; hostDevices: string[] } | { ok: false; reason: string; message: string };

/**
 * KubeVirt's admission webhooks (or RBAC) refusing the VMI: retrying the same object cannot help,
 * so the run is Stalled with the API server's message (e.g. a host device the cluster does not
 * permit, a feature gate that is off). Anything else is left to the caller (retried).
 */
export function vmiRefusal(err: unknown, vmi: string): TerminalError | undefined {
  if (!(err instanceof KubeApiError) || ![400, 403, 422].includes(err.code)) return undefined;
  return new TerminalError('VMIRefused', `the API server refused VirtualMachineInstance ${vmi} (HTTP ${err.code}${err.reason ? ` ${err.reason}` : ''}): ${err.status?.message ?? err.message}`);
}

export function kubevirtRuns(opts: KubevirtRunOptions) {
  async function kubevirtCRs(ctx: ReconcileContext<AgentRun>): Promise<KubeVirtCR[] | 'notServed'> {
    try {
      return (await ctx.client.list<KubeObject & KubeVirtCR>(KUBEVIRTS)).items;
    } catch (err) {
      if (isNotFound(err)) return 'notServed';
      throw new TransientError('KubeVirtReadFailed', `listing KubeVirt resources (kubevirt.io/v1): ${(err as Error).message}`);
    }
  }

  async function readVmi(ctx: ReconcileContext<AgentRun>): Promise<KubeObject | undefined> {
    const { namespace, name } = ctx.object.metadata;
    try {
      return await ctx.client.get(VIRTUAL_MACHINE_INSTANCES, namespace, podName(name!));
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw new TransientError('VMIReadFailed', `reading VirtualMachineInstance ${namespace}/${podName(name!)}: ${(err as Error).message}`);
    }
  }

  /** The runner's report and when the router stored it (its ConfigMap's creationTimestamp). */
  async function readReport(ctx: ReconcileContext<AgentRun>): Promise<(RunReport & { reportedAt?: number }) | undefined> {
    const { namespace, name } = ctx.object.metadata as { namespace: string; name: string };
    const cmName = runReportConfigMapName(namespace, 'AgentRun', name);
    try {
      const cm = await ctx.client.get(CONFIGMAPS, opts.routerNamespace, cmName);
      const report = runReportFromConfigMap(cm, namespace, name, ctx.object.metadata);
      const created = cm.metadata?.creationTimestamp;
      return report && { ...report, ...(created ? { reportedAt: Date.parse(String(created)) } : {}) };
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw new TransientError('ReportReadFailed', `reading run report ConfigMap ${opts.routerNamespace}/${cmName}: ${(err as Error).message}`);
    }
  }

  /**
   * A report left by a deleted run of the same name (the router answers 409 to a second report
   * under one name, and it is not this run's result): deleted before this run's guest starts,
   * on the condition that it is still that object.
   */
  async function deleteEarlierReport(ctx: ReconcileContext<AgentRun>): Promise<void> {
    const { namespace, name } = ctx.object.metadata as { namespace: string; name: string };
    const cmName = runReportConfigMapName(namespace, 'AgentRun', name);
    try {
      const cm = await ctx.client.get<KubeObject & { data?: Record<string, string> }>(CONFIGMAPS, opts.routerNamespace, cmName);
      if (isRunsReport(cm, ctx.object.metadata)) return;
      await ctx.client.delete(CONFIGMAPS, opts.routerNamespace, cmName, { preconditions: { uid: cm.metadata!.uid, resourceVersion: cm.metadata!.resourceVersion } });
      ctx.log.info({ configMap: `${opts.routerNamespace}/${cmName}` }, 'deleted the report of an earlier run of the same name');
    } catch (err) {
      if (isNotFound(err) || isConflict(err)) return;
      throw new TransientError('ReportDeleteFailed', `deleting the report ConfigMap ${opts.routerNamespace}/${cmName} of an earlier run of the same name: ${(err as Error).message}`);
    }
  }

  async function deleteVmi(ctx: ReconcileContext<AgentRun>): Promise<void> {
    const { namespace, name } = ctx.object.metadata;
    try {
      await ctx.client.delete(VIRTUAL_MACHINE_INSTANCES, namespace, podName(name!));
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  return {
    /**
     * Before the VMI is created: what the guest cannot have, and the GPUs KubeVirt permits.
     * Refusals wait (Stalled) naming the field and the fix; nothing is started.
     */
    async admit(ctx: ReconcileContext<AgentRun>): Promise<Admission> {
      const run = ctx.object;
      if (kubernetesToolAccess(run.spec, run.metadata.namespace!)) {
        return { ok: false, reason: 'ToolNotOfferedInVM', message: 'spec.tools: the kubernetes tool needs the run\'s ServiceAccount token, which a KubeVirt guest does not get; use engine kata or type pod for it, or remove the tool' };
      }
      const tooLarge = userDataProblem(run, opts.routerUrl);
      if (tooLarge) return { ok: false, reason: 'UserDataTooLarge', message: tooLarge };
      const gpu = run.spec.runtime?.gpu ?? 0;
      const verdict = gpuHostDevices(gpu, gpu > 0 ? await kubevirtCRs(ctx) : [], opts.gpuDevice);
      return verdict.ok ? { ok: true, hostDevices: verdict.hostDevices } : verdict;
    },

    /** The VMI, created once (its spec is not changed under a running guest). */
    async create(ctx: ReconcileContext<AgentRun>, input: { limits: RunLimits; hostDevices: string[] }): Promise<string> {
      const run = ctx.object;
      await deleteEarlierReport(ctx);
      const vmi = desiredChild(run, VIRTUAL_MACHINE_INSTANCES, desiredVmi(run, { limits: input.limits, routerUrl: opts.routerUrl, image: opts.image, hostDevices: input.hostDevices }));
      try {
        await ctx.client.create(VIRTUAL_MACHINE_INSTANCES, vmi);
      } catch (err) {
        if (isAlreadyExists(err)) return vmi.metadata!.name!;
        throw vmiRefusal(err, `${vmi.metadata!.namespace}/${vmi.metadata!.name}`) ?? err;
      }
      return vmi.metadata!.name!;
    },

    /** A running kubevirt run: ended by the runner's report or the VMI, or stopped (cancel, tokens, timeout) by deleting the VMI. */
    async running(ctx: ReconcileContext<AgentRun>, fields: Fields, limits: RunLimits, deps: { finish: Finish; usage: RunUsage | undefined }): Promise<ReconcileResult> {
      const run = ctx.object;
      const name = podName(run.metadata.name!);
      const vmi = observeVmi(await readVmi(ctx));
      const report = await readReport(ctx);
      const termination = parseTermination(report?.termination);
      const cancel = run.spec?.cancel === true;
      let counts: { turns: number; toolCalls: number; toolErrors: number } | undefined;
      if (report) {
        const summary = parseRunnerLog(report.transcript);
        await ctx.apply(CONFIGMAPS, desiredTranscript(run, boundedTranscript(summary.lines).text));
        fields.transcriptRef = { configMapName: transcriptConfigMapName(run.metadata.name!), key: TRANSCRIPT_KEY };
        counts = summary;
      }
      const ending = vmiEnding({ vmi, report: termination, limits, cancel, vmiName: name });
      if (ending) {
        // The runner reported but the guest is still up: it powers off on its own right after
        // reporting; one that has not within the grace has nothing left to do and is deleted.
        const next = afterReport(vmi, termination ? report?.reportedAt : undefined, ctx.now().getTime());
        if (next === 'wait') {
          fields.usage = usageStatus(fields.usage, deps.usage, counts ?? {});
          ctx.setStatus(fields);
          return { outcome: { kind: 'progressing', reason: 'Running', message: `the runner reported; waiting for VirtualMachineInstance ${name} to power off` }, requeueAfterMs: 1_000 };
        }
        if (next === 'delete') await deleteVmi(ctx);
        return deps.finish(ctx, fields, ending, { result: termination?.result, counts: { turns: termination?.turns ?? counts?.turns, toolCalls: termination?.toolCalls ?? counts?.toolCalls, toolErrors: termination?.toolErrors ?? counts?.toolErrors }, usage: deps.usage });
      }
      const stop = vmi.state === 'present' && !vmi.deleting ? stopVerdict({ cancel, limits, routerTokens: deps.usage?.totalTokens, startTime: fields.startTime, now: ctx.now() }) : undefined;
      if (stop) {
        // KubeVirt shuts the guest down (ACPI, then after terminationGracePeriodSeconds it is killed).
        await deleteVmi(ctx);
        const message = stop.reason === 'Timeout' ? stop.message.replace('the agent pod was stopped', `VirtualMachineInstance ${name} was deleted`) : stop.reason === 'Cancelled' ? `cancelled by spec.cancel: VirtualMachineInstance ${name} was deleted` : stop.message;
        return deps.finish(ctx, fields, { ...stop, message }, { usage: deps.usage });
      }
      fields.usage = usageStatus(fields.usage, deps.usage, counts ?? {});
      ctx.setStatus(fields);
      return { outcome: { kind: 'progressing', reason: 'Running', message: vmiProgress(vmi, name) }, requeueAfterMs: VMI_POLL_MS };
    },

    /** A finished run's report has been read into status and the transcript: it goes. */
    async cleanup(ctx: ReconcileContext<AgentRun>): Promise<void> {
      const { namespace, name } = ctx.object.metadata as { namespace: string; name: string };
      try {
        await ctx.client.delete(CONFIGMAPS, opts.routerNamespace, runReportConfigMapName(namespace, 'AgentRun', name));
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    },
  };
}
