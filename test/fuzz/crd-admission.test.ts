// Property-based bad input for the five kinds (issue 15, section 3): objects generated from each
// CRD's OpenAPI schema (schema-arbitrary.ts), most of them then mutated (wrong types, out of
// range, unknown fields, dropped fields, grafted either/or blocks), each checked by
// `agentlab validate` and sent to the API server with kubectl's strict field validation, while
// the operator runs every controller. Each is rejected at admission with a field path (and
// validate says so too), or accepted and reported by its controller: a Ready or Stalled
// condition with a message for its generation. Then every accepted object's spec is mutated in
// place (PUT), with the same rule for the new generation. Meanwhile: no reconcile throws an unexpected
// error, no promise rejection goes unhandled, and no object is reconciled in a hot loop.
import fc from 'fast-check';
import pino from 'pino';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KINDS } from '../../operators/api/constants.js';
import { loadCrds, schemaForKind } from '../../operators/api/crds.js';
import { validateText } from '../../operators/cli/validate/validate.js';
import { startOperator, type Operator } from '../../operators/manager.js';
import { useCluster } from '../harness/cluster.js';
import { applyMutation, arbitraryFor, mutationArb, type Schema } from './schema-arbitrary.js';
import { FUZZ_SEED, fuzzRuns, fuzzTimeout, report } from './seed.js';

const cluster = useCluster();
const crds = loadCrds();
// Always 6 characters: name lengths (which some CEL rules bound) must not vary between replays of a seed.
const id = randomBytes(3).toString('hex');
const FUZZ_LABEL = 'fuzz.test.agentlab.dev/run';
let ns = '';
let operator: Operator | undefined;
const logLines: string[] = [];
const unhandled: unknown[] = [];
const onUnhandled = (e: unknown) => void unhandled.push(e);

/** Objects per kind: 8 in CI (40 in all), scaled by AGENTLAB_FUZZ_SCALE. */
const PER_KIND = fuzzRuns(8);
/** How long the reconciles of settled objects are counted, and how many one object may have in it. */
const WINDOW_MS = 5000;
const MAX_RECONCILES_PER_WINDOW = 10;
/**
 * How long an accepted object may take to be reported by its controller: a hang guard (two settles
 * fit the test's 180 s), not a speed bound; a loaded CI machine ran some tests 10x slower than idle.
 */
const SETTLE_MS = fuzzTimeout(60_000);

beforeAll(async () => {
  process.on('unhandledRejection', onUnhandled);
  ns = await cluster.newNamespace('fuzz-crd');
  const logger = pino({ level: 'debug' }, { write: (l: string) => void logLines.push(l) });
  operator = await startOperator({ kubeConfig: cluster.kc, logger, namespaces: [ns], labelSelector: `${FUZZ_LABEL}=${id}`, serviceAccess: cluster.serviceAccess, issuePollMs: 2000 });
});
afterAll(async () => {
  // Cluster-scoped LanePolicies go while the operator still runs (it holds a finalizer on them).
  const lanes = `/apis/agentlab.dev/v1alpha1/lanepolicies?labelSelector=${encodeURIComponent(`${FUZZ_LABEL}=${id}`)}`;
  await cluster.request({ method: 'DELETE', path: lanes });
  await cluster.waitFor(async () => ((await cluster.request({ path: lanes })).json() as { items: unknown[] }).items.length === 0, { what: 'fuzzed lanes deleted', timeoutMs: 30_000 }).catch(() => undefined);
  await operator?.stop();
  process.off('unhandledRejection', onUnhandled);
});

interface Case { kind: keyof typeof KINDS; name: string; object: Record<string, unknown>; did: string }

const apiPath = (kind: keyof typeof KINDS, name?: string) =>
  `/apis/agentlab.dev/v1alpha1${KINDS[kind].namespaced ? `/namespaces/${ns}` : ''}/${KINDS[kind].plural}${name ? `/${name}` : ''}`;

/** The examples of each kind: valid objects (CEL included) that mutations start from. */
const examples = new Map<string, Record<string, unknown>[]>();
for (const f of readdirSync('examples').filter((x) => /\.ya?ml$/.test(x))) {
  for (const d of parseAllDocuments(readFileSync(join('examples', f), 'utf8'))) {
    const o = d.toJS() as { apiVersion?: string; kind?: string; spec?: Record<string, unknown> } | null;
    if (o?.apiVersion === 'agentlab.dev/v1alpha1' && o.kind && o.spec) examples.set(o.kind, [...(examples.get(o.kind) ?? []), o.spec]);
  }
}

/**
 * Half the cases start from a spec generated from the schema (valid to its structure; CEL rules
 * may or may not hold), half from an example of the kind with a subtree replaced by a generated
 * one; most are then mutated.
 */
function casesFor(kind: keyof typeof KINDS): Case[] {
  const specSchema = specSchemaOf(kind);
  const generated = arbitraryFor(specSchema);
  const fromExample = fc.record({ example: fc.constantFrom(...(examples.get(kind) ?? [{}])), graft: generated, pick: fc.nat() }).map(({ example, graft, pick }) => {
    // Replace one top-level field of the example by the generated spec's field of the same name.
    const keys = Object.keys(graft as object);
    if (keys.length === 0) return example;
    const k = keys[pick % keys.length];
    return { ...example, [k]: (graft as Record<string, unknown>)[k] };
  });
  const arb = fc.record({ spec: fc.oneof(generated, fromExample), other: generated, mutation: fc.option(mutationArb, { freq: 3 }) });
  return fc.sample(arb, { seed: FUZZ_SEED + kind.length, numRuns: PER_KIND }).map((c, i) => {
    const m = c.mutation ? applyMutation(c.spec, specSchema, c.mutation, c.other) : { spec: c.spec, did: 'not mutated' };
    const s = m.spec as Record<string, unknown>;
    // A generated LanePolicy must not select the namespaces of other tests running beside this one.
    if (kind === 'LanePolicy' && typeof s === 'object' && s !== null) s.namespaceSelector = { matchLabels: { [`${FUZZ_LABEL}-lane`]: id } };
    const name = `fz-${kind.toLowerCase()}-${id}-${i}`;
    return { kind, name, did: m.did, object: { apiVersion: 'agentlab.dev/v1alpha1', kind, metadata: { name, labels: { [FUZZ_LABEL]: id } }, spec: s } };
  });
}

interface Status { observedGeneration?: number; conditions?: { type: string; status: string; reason?: string; message?: string; observedGeneration?: number }[] }

/** Per object: reconciles logged (by the runtime's per-reconcile lines) at or after `since`. */
function reconcilesSince(since: number): Map<string, number> {
  const counts = new Map<string, number>();
  for (const l of logLines) {
    const e = JSON.parse(l) as { time: number; msg: string; kind?: string; name?: string };
    if (e.time < since || !e.kind || !e.name) continue;
    if (!/^(reconciled|reconcile failed; backing off|status write conflicted|status write failed)/.test(e.msg)) continue;
    const k = `${e.kind}/${e.name}`;
    counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  return counts;
}

/** A 403 Status from a ValidatingAdmissionPolicy (apiserver: "... denied request: <message>"). */
function isPolicyDenial(r: { status: number; text: string }): boolean {
  if (r.status !== 403) return false;
  const body = JSON.parse(r.text) as { kind?: string; reason?: string; message?: string };
  return body.kind === 'Status' && body.reason === 'Forbidden' && /ValidatingAdmissionPolicy '[^']+' with binding '[^']+' denied request: /.test(body.message ?? '');
}

/** The spec schema of a kind. */
const specSchemaOf = (kind: keyof typeof KINDS) => (schemaForKind(crds, 'agentlab.dev/v1alpha1', kind) as Schema).properties!.spec!;

/** Polls until each object has a Ready or Stalled condition with a message for its current generation. */
async function settle(objs: Case[]): Promise<{ settled: Map<string, Status>; unsettled: string[] }> {
  const settled = new Map<string, Status>();
  const last = new Map<string, unknown>();
  const deadline = Date.now() + SETTLE_MS;
  while (settled.size < objs.length && Date.now() < deadline) {
    for (const c of objs) {
      if (settled.has(c.name)) continue;
      const o = (await cluster.request({ path: apiPath(c.kind, c.name) })).json() as { metadata: { generation: number }; status?: Status };
      last.set(c.name, { generation: o.metadata.generation, observedGeneration: o.status?.observedGeneration, conditions: o.status?.conditions, phase: (o.status as { phase?: string } | undefined)?.phase });
      const reported = (o.status?.conditions ?? []).find((x) => (x.type === 'Stalled' && x.status === 'True') || x.type === 'Ready');
      // The condition's observedGeneration: status.observedGeneration is written only once the
      // object is Ready or Stalled (Flux's rule), while a Ready False/Unknown is still progressing.
      if (reported?.message && (reported.observedGeneration ?? o.status?.observedGeneration) === o.metadata.generation) settled.set(c.name, o.status!);
    }
    if (settled.size < objs.length) await new Promise((r) => setTimeout(r, 500));
  }
  const unsettled = objs.filter((c) => !settled.has(c.name)).map((c) => `${c.kind} ${c.name} (${c.did}): ${JSON.stringify(last.get(c.name)).slice(0, 600)}\n${stringify(c.object.spec).slice(0, 800)}`);
  return { settled, unsettled };
}

describe('generated AgentLab objects at admission and in the controllers', () => {
  it('every one is refused with a field path (and by agentlab validate) or reported Ready/Stalled, with no crash or hot loop', async () => {
    const counts = { tried: 0, mutated: 0, rejected: 0, accepted: 0, policyDenied: 0, validateAgrees: 0, validateStricterStalled: 0, updatesAccepted: 0, updatesRejected: 0, settledReady: 0, settledStalled: 0, settledOther: 0 };
    const disagreements: string[] = [];
    const validateOnly = new Map<string, string>();
    const accepted: Case[] = [];
    for (const kind of Object.keys(KINDS) as (keyof typeof KINDS)[]) {
      for (const c of casesFor(kind)) {
        counts.tried++;
        if (c.did !== 'not mutated') counts.mutated++;
        // YAML 1.1 as kubectl reads it: strings such as `on` or `0777` are quoted.
        const yaml = stringify(c.object, { version: '1.1' });
        const verdict = validateText(`${c.name}.yaml`, yaml, crds);
        const validateErrors = verdict.findings.filter((f) => f.severity === 'error');
        const r = await cluster.request({ method: 'POST', path: `${apiPath(kind)}?fieldValidation=Strict`, body: c.object });
        const what = `${kind} ${c.name} (${c.did}):\n${yaml.slice(0, 1500)}\nserver ${r.status}: ${r.text.slice(0, 800)}\nvalidate: ${validateErrors.map((f) => f.message).join(' | ').slice(0, 800)}`;
        // 403: refused by an admission policy (the chart's agentlab-approvals, which another test
        // file may have installed in the shared cluster): kube-apiserver answers a
        // ValidatingAdmissionPolicy denial with its reason (Forbidden); the message still names the field.
        expect([201, 400, 422, ...(isPolicyDenial(r) ? [403] : [])], what).toContain(r.status);
        if (r.status === 201) {
          counts.accepted++;
          accepted.push(c);
        } else {
          counts.rejected++;
          const body = r.json() as { kind: string; message: string; details?: { causes?: { field?: string }[] } };
          expect(body.kind, what).toBe('Status');
          const fields = [...(body.details?.causes ?? []).map((x) => x.field ?? ''), body.message];
          expect(fields.some((f) => /\b(spec|metadata)(\.|\[|$)/.test(f)), `${what}\na refusal names the field`).toBe(true);
        }
        // validate also runs the checks CEL cannot do (Flow and HardwareTask graphs), which the
        // controller reports as Stalled: so a refusal by the server is one by validate, and an
        // object only validate refuses must end Stalled (checked below).
        // An admission policy decides on who asks (request.userInfo), which a file cannot show
        // agentlab validate: such a refusal is counted apart, not compared.
        if (r.status === 403) counts.policyDenied++;
        else if ((r.status === 201) === (validateErrors.length === 0)) counts.validateAgrees++;
        else if (r.status === 201) validateOnly.set(c.name, what);
        else disagreements.push(what);
      }
    }

    // Every accepted object is reported by its controller for its generation.
    let settled = await settle(accepted);
    expect(settled.unsettled, `every accepted object reported Ready or Stalled with a message within ${SETTLE_MS} ms`).toEqual([]);

    // Updates: each accepted object's spec mutated in place (PUT), as a broken edit applied later
    // would be: refused with a field path (transition rules included), or reported for the new generation.
    const edits = fc.sample(mutationArb, { seed: FUZZ_SEED + 1, numRuns: accepted.length });
    const updated: Case[] = [];
    for (const [i, c] of accepted.entries()) {
      for (let attempt = 0; attempt < 5; attempt++) {
        const cur = (await cluster.request({ path: apiPath(c.kind, c.name) })).json() as Record<string, unknown> & { spec: unknown };
        const m = applyMutation(cur.spec, specSchemaOf(c.kind), edits[i], cur.spec);
        const spec = m.spec as Record<string, unknown>;
        if (c.kind === 'LanePolicy' && typeof spec === 'object' && spec !== null) spec.namespaceSelector = { matchLabels: { [`${FUZZ_LABEL}-lane`]: id } };
        const r = await cluster.request({ method: 'PUT', path: `${apiPath(c.kind, c.name)}?fieldValidation=Strict`, body: { ...cur, spec } });
        const what = `update of ${c.kind} ${c.name} (${m.did}): server ${r.status}: ${r.text.slice(0, 600)}`;
        if (r.status === 409) continue; // the controller wrote status in between: read again
        expect([200, 400, 422, ...(isPolicyDenial(r) ? [403] : [])], what).toContain(r.status);
        if (r.status === 200) {
          counts.updatesAccepted++;
          updated.push({ ...c, did: `update: ${m.did}` });
        } else {
          counts.updatesRejected++;
          const body = r.json() as { message: string; details?: { causes?: { field?: string }[] } };
          expect([...(body.details?.causes ?? []).map((x) => x.field ?? ''), body.message].some((f) => /\b(spec|metadata)(\.|\[|$)/.test(f)), `${what}\na refusal names the field`).toBe(true);
        }
        break;
      }
    }
    const afterUpdates = await settle(updated);
    expect(afterUpdates.unsettled, `every updated object reported for its new generation within ${SETTLE_MS} ms`).toEqual([]);
    settled = { settled: new Map([...settled.settled, ...afterUpdates.settled]), unsettled: [] };

    for (const [name, what] of validateOnly) {
      if (settled.settled.get(name)?.conditions?.find((x) => x.type === 'Stalled')?.status === 'True') counts.validateStricterStalled++;
      else disagreements.push(`${what}\nrefused by agentlab validate, accepted by the server, but not Stalled: ${JSON.stringify(settled.settled.get(name)?.conditions)}`);
    }
    for (const s of settled.settled.values()) {
      const cond = (t: string) => s.conditions?.find((x) => x.type === t);
      if (cond('Stalled')?.status === 'True') counts.settledStalled++;
      else if (cond('Ready')?.status === 'True') counts.settledReady++;
      else counts.settledOther++;
    }

    // Hot loops: reconciles per object over a window once everything has been reported.
    const since = Date.now();
    await new Promise((r) => setTimeout(r, WINDOW_MS));
    const perObject = reconcilesSince(since);
    const busiest = [...perObject.entries()].sort((a, b) => b[1] - a[1]);
    const figures = { ...counts, windowMs: WINDOW_MS, busiestReconciles: busiest[0]?.[1] ?? 0 };
    report(`CRD admission and controllers (${PER_KIND} per kind)`, figures);
    console.log(`[fuzz] accepted: ${accepted.map((c) => c.name.replace(`-${id}`, '')).join(' ')}`);
    console.log(`[fuzz] busiest objects in the window: ${busiest.slice(0, 5).map(([k, n]) => `${k}=${n}`).join(' ') || 'none'}`);

    expect(busiest.filter(([, n]) => n > MAX_RECONCILES_PER_WINDOW), `no object reconciled more than ${MAX_RECONCILES_PER_WINDOW} times in ${WINDOW_MS} ms`).toEqual([]);
    const crashes = logLines.filter((l) => l.includes('reconcile threw an unexpected error'));
    expect(crashes.map((l) => l.slice(0, 600)), 'no reconcile throws an unexpected error').toEqual([]);
    expect(unhandled.map(String), 'no unhandled promise rejection').toEqual([]);
    expect(disagreements, 'agentlab validate and the API server agree on every object').toEqual([]);
    expect(counts.rejected).toBeGreaterThan(0);
    expect(counts.accepted).toBeGreaterThan(0);
  }, fuzzTimeout(180_000));
});
