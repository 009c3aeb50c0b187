import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { flowController } from '../../operators/flow/controller.js';
import { scheduledRunName } from '../../operators/flow/schedule.js';
import { startOperator, type Operator } from '../../operators/manager.js';
import type { Controller } from '../../operators/runtime/controller.js';
import type { KubeObject } from '../../operators/runtime/kube.js';
import { useCluster } from '../harness/cluster.js';
import { condition, type FlowRead } from './support.js';

/**
 * A Flow with spec.schedule: each scheduled time starts one owned child Flow, history limits
 * delete older runs. The operator's schedule clock is moved forward (FlowControllerOptions.now)
 * instead of waiting for wall-clock minutes; the runs themselves are real.
 */
const cluster = useCluster();
const logger = pino({ level: process.env.AGENTLAB_TEST_LOG_LEVEL ?? 'silent' });
const STEP = 'ghcr.io/agentlab/step-runner:0.1.0';
const FIVE_MIN = 5 * 60_000;

let ns: string;
let operator: Operator;
let offsetMs = 0;
const clock = () => new Date(Date.now() + offsetMs);

type ScheduledRead = FlowRead & { metadata: { ownerReferences?: { kind: string; name: string; controller?: boolean }[]; labels?: Record<string, string> }; status?: FlowRead['status'] & { lastScheduleTime?: string; nextScheduleTime?: string; lastSuccessfulTime?: string; active?: string[] } };
const flowPath = (name = '') => `/apis/agentlab.dev/v1alpha1/namespaces/${ns}/flows${name ? `/${name}` : ''}`;
const getFlow = async (name: string) => (await cluster.request({ path: flowPath(name) })).json() as ScheduledRead;
const listRuns = async () => ((await cluster.request({ path: `${flowPath()}?labelSelector=agentlab.dev%2Fscheduled-by%3Dnightly` })).json() as { items: ScheduledRead[] }).items;
/** Moves the schedule clock to just after the next 5-minute boundary and makes the operator look. */
async function advanceToNextSlot(): Promise<Date> {
  const now = clock().getTime();
  const slot = new Date(Math.floor(now / FIVE_MIN) * FIVE_MIN + FIVE_MIN);
  offsetMs += slot.getTime() + 1000 - now;
  await cluster.request({ method: 'PATCH', path: flowPath('nightly'), contentType: 'application/merge-patch+json', body: { metadata: { annotations: { 'test.agentlab.dev/poke': String(slot.getTime()) } } } });
  return slot;
}

beforeAll(async () => {
  ns = await cluster.newNamespace('flow-schedule');
  operator = await startOperator({ kubeConfig: cluster.kc, logger, namespaces: [ns], controllerOverrides: [flowController({ now: clock }) as unknown as Controller<KubeObject>], serviceAccess: cluster.serviceAccess });
});
afterAll(async () => {
  await operator?.stop();
});

describe('Flow schedule', () => {
  it('waits for the first time, rejects an unreadable schedule by field, and is Scheduled with the next time', async () => {
    await cluster.applyYaml(JSON.stringify({ apiVersion: 'agentlab.dev/v1alpha1', kind: 'Flow', metadata: { name: 'bad-zone', namespace: ns }, spec: { schedule: '0 6 * * *', timeZone: 'Mars/Olympus', nodes: [{ id: 'a', type: 'tool', tool: { image: STEP, args: ['true'] } }] } }));
    await cluster.kubectl(['wait', '-n', ns, '--for=condition=Stalled', 'flow/bad-zone', '--timeout=30s']);
    expect(condition(await getFlow('bad-zone'), 'Stalled')).toMatchObject({ reason: 'InvalidSchedule', message: expect.stringMatching(/^spec\.timeZone: "Mars\/Olympus" is not an IANA time zone/) });

    const refused = await cluster.kubectl(['apply', '-n', ns, '-f', '-'], {
      allowFailure: true,
      input: JSON.stringify({ apiVersion: 'agentlab.dev/v1alpha1', kind: 'Flow', metadata: { name: 'zone-without-schedule' }, spec: { timeZone: 'UTC', nodes: [{ id: 'a', type: 'tool', tool: { image: STEP } }] } }),
    });
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('timeZone applies to a schedule; set schedule or remove timeZone');
  });

  it.runIf(cluster.nodeSimulator)('starts one child Flow per scheduled time, keeps the history limit, and lists it in kubectl get', async () => {
    await cluster.applyYaml(JSON.stringify({
      apiVersion: 'agentlab.dev/v1alpha1', kind: 'Flow', metadata: { name: 'nightly', namespace: ns },
      spec: {
        schedule: '*/5 * * * *', successfulRunsHistoryLimit: 1,
        nodes: [{ id: 'hello', type: 'tool', tool: { image: STEP, args: ['sh', '-c', 'echo hi > "$AGENTLAB_OUTPUTS_DIR/greeting"'] }, outputs: [{ name: 'greeting' }] }],
      },
    }));
    const idle = await cluster.waitFor(async () => {
      const f = await getFlow('nightly');
      return f.status?.phase === 'Scheduled' ? f : undefined;
    }, { what: 'the schedule to be Scheduled' });
    expect(idle.status?.active ?? []).toEqual([]);
    expect(await listRuns()).toEqual([]);

    const first = await advanceToNextSlot();
    const firstName = scheduledRunName('nightly', first);
    const run1 = await cluster.waitFor(async () => {
      const r = (await listRuns()).find((x) => x.metadata.name === firstName);
      return r?.status?.phase === 'Succeeded' ? r : undefined;
    }, { what: `run ${firstName} to succeed`, timeoutMs: 90_000 });
    expect(run1.metadata.ownerReferences).toEqual([expect.objectContaining({ kind: 'Flow', name: 'nightly', controller: true })]);
    expect(run1.status?.nodes?.[0]).toMatchObject({ id: 'hello', phase: 'Succeeded', outputs: { greeting: 'hi' } });
    const parent = await cluster.waitFor(async () => {
      const f = await getFlow('nightly');
      return f.status?.lastSuccessfulTime && (f.status.active ?? []).length === 0 ? f : undefined;
    }, { what: 'the schedule to record the finished run' });
    expect(parent.status).toMatchObject({ phase: 'Scheduled', lastScheduleTime: first.toISOString(), nextScheduleTime: new Date(first.getTime() + FIVE_MIN).toISOString() });

    const second = await advanceToNextSlot();
    const secondName = scheduledRunName('nightly', second);
    await cluster.waitFor(async () => {
      const names = (await listRuns()).filter((r) => r.status?.phase === 'Succeeded').map((r) => r.metadata.name);
      return names.length === 1 && names[0] === secondName ? true : undefined;
    }, { what: `run ${secondName} to succeed and run ${firstName} to be deleted (successfulRunsHistoryLimit 1)`, timeoutMs: 90_000 });
    const events = (await cluster.request({ path: `/api/v1/namespaces/${ns}/events?fieldSelector=involvedObject.name%3Dnightly` })).json() as { items: { reason: string; message: string }[] };
    expect(events.items.filter((e) => e.reason === 'RunStarted').map((e) => e.message).sort()).toEqual([
      `started run ${firstName} scheduled at ${first.toISOString()}`,
      `started run ${secondName} scheduled at ${second.toISOString()}`,
    ].sort());
    const { stdout } = await cluster.kubectl(['get', 'flows', '-n', ns, 'nightly', '--no-headers']);
    expect(stdout).toMatch(/^nightly\s+Scheduled\s+/);
  }, 240_000);
});
