import { beforeAll, describe, expect, it } from 'vitest';
import { useCluster } from '../harness/cluster.js';
import { clusterScoped, configMapPolicy, impersonating, POLICIES, POLICY_BINDINGS, policyBinding, uniqueUser } from './auth-support.js';
import { configMap, configMapsPath, expectStatus, ok, statusOf } from './support.js';

// ValidatingAdmissionPolicy: validations refuse (Deny) or warn (Warn) with the policy's message,
// messageExpression or "failed expression: ..."; reason sets the code; matchConditions and
// variables; request.userInfo and oldObject on UPDATE and DELETE.
const cluster = useCluster();
const create = clusterScoped(cluster);

describe('ValidatingAdmissionPolicy: deny and warn', () => {
  let ns: string;
  const id = uniqueUser('vap');
  const deny = `${id}-deny`;
  const warn = `${id}-warn`;
  const del = `${id}-del`;

  beforeAll(async () => {
    ns = await cluster.newNamespace('vap');
    await create(POLICIES, configMapPolicy(deny, ns, {
      matchConditions: [{ name: 'not-exempt', expression: "!has(object.metadata.labels) || !('exempt' in object.metadata.labels)" }],
      variables: [{ name: 'keys', expression: 'has(object.data) ? size(object.data) : 0' }],
      validations: [
        { expression: "!has(object.data) || !('forbidden' in object.data)", message: 'no key may be named forbidden' },
        { expression: 'variables.keys <= 2', messageExpression: "'at most 2 keys, got ' + string(variables.keys)" },
        { expression: "!has(object.data) || !('owner' in object.data) || object.data.owner == request.userInfo.username", reason: 'Forbidden' },
      ],
    }));
    await create(POLICY_BINDINGS, policyBinding(deny, deny, ['Deny']));
    await create(POLICIES, {
      ...configMapPolicy(warn, ns, { validations: [{ expression: "!has(object.data) || !('legacy' in object.data)", message: 'legacy is deprecated' }] }),
    });
    await create(POLICY_BINDINGS, policyBinding(warn, warn, ['Warn']));
    await create(POLICIES, configMapPolicy(del, ns, {
      validations: [{ expression: "!has(oldObject.metadata.labels) || !('protected' in oldObject.metadata.labels)", message: 'protected configmaps stay' }],
    }, ['DELETE']));
    await create(POLICY_BINDINGS, policyBinding(del, del, ['Deny']));
    // A real server loads new policies asynchronously: wait until both act.
    await cluster.waitFor(async () => {
      const r = await cluster.request({ method: 'POST', path: `${configMapsPath(ns)}?dryRun=All`, body: configMap('probe', { forbidden: 'x' }) });
      const w = await cluster.request({ method: 'POST', path: `${configMapsPath(ns)}?dryRun=All`, body: configMap('probe', { legacy: 'x' }) });
      return r.status === 422 && String(w.headers.warning ?? '').includes(warn);
    }, { what: 'the policies to take effect', timeoutMs: 30_000 });
  });

  it('Deny: 422 Invalid, the admission message, one cause', async () => {
    const res = await cluster.request({ method: 'POST', path: configMapsPath(ns), body: configMap('bad', { forbidden: 'x' }) });
    expectStatus(res, 422);
    const message = `ValidatingAdmissionPolicy '${deny}' with binding '${deny}' denied request: no key may be named forbidden`;
    expect(statusOf(res)).toMatchObject({
      status: 'Failure', reason: 'Invalid', code: 422, message: `configmaps "bad" is forbidden: ${message}`,
      details: { name: 'bad', kind: 'configmaps', causes: [{ message }] },
    });
  });

  it('messageExpression words the refusal from variables', async () => {
    const res = await cluster.request({ method: 'POST', path: configMapsPath(ns), body: configMap('many', { a: '1', b: '2', c: '3' }) });
    expectStatus(res, 422);
    expect(statusOf(res).message).toBe(`configmaps "many" is forbidden: ValidatingAdmissionPolicy '${deny}' with binding '${deny}' denied request: at most 2 keys, got 3`);
  });

  it('reason Forbidden is 403; without a message the expression is quoted', async () => {
    const res = await cluster.request({ method: 'POST', path: configMapsPath(ns), body: configMap('owned', { owner: 'someone-else' }) });
    expectStatus(res, 403);
    expect(statusOf(res)).toMatchObject({ reason: 'Forbidden', code: 403 });
    expect(statusOf(res).message).toBe(`configmaps "owned" is forbidden: ValidatingAdmissionPolicy '${deny}' with binding '${deny}' denied request: ` +
      "failed expression: !has(object.data) || !('owner' in object.data) || object.data.owner == request.userInfo.username");
  });

  it('request.userInfo is the (impersonated) user', async () => {
    const user = uniqueUser('owner');
    // The user may not create configmaps: RBAC refuses before admission runs.
    const refused = await cluster.request({ method: 'POST', path: configMapsPath(ns), body: configMap('mine', { owner: user }), headers: impersonating(user) });
    expect(refused.status).toBe(403);
    expect(statusOf(refused).message).toContain('cannot create resource "configmaps"');
    const viaMasters = await cluster.request({ method: 'POST', path: configMapsPath(ns), body: configMap('mine', { owner: user }), headers: impersonating(user, 'system:masters') });
    expect(viaMasters.status).toBe(201);
  });

  it('matchConditions that are false skip the policy', async () => {
    ok(await cluster.request({ method: 'POST', path: configMapsPath(ns), body: configMap('exempt', { forbidden: 'x' }, { labels: { exempt: 'yes' } }) }));
  });

  it('UPDATE is checked against the new object; DELETE sees oldObject', async () => {
    ok(await cluster.request({ method: 'POST', path: configMapsPath(ns), body: configMap('upd', { a: '1' }, { labels: { protected: 'yes' } }) }));
    const res = await cluster.request({ method: 'PATCH', path: configMapsPath(ns, 'upd'), contentType: 'application/merge-patch+json', body: { data: { forbidden: 'y' } } });
    expectStatus(res, 422);
    expect(statusOf(res).message).toContain('denied request: no key may be named forbidden');
    const kept = await cluster.request({ method: 'DELETE', path: configMapsPath(ns, 'upd') });
    expectStatus(kept, 422);
    expect(statusOf(kept).message).toBe(`configmaps "upd" is forbidden: ValidatingAdmissionPolicy '${del}' with binding '${del}' denied request: protected configmaps stay`);
    ok(await cluster.request({ method: 'PATCH', path: configMapsPath(ns, 'upd'), contentType: 'application/merge-patch+json', body: { metadata: { labels: { protected: null } } } }));
    expect((await cluster.request({ method: 'DELETE', path: configMapsPath(ns, 'upd') })).status).toBe(200);
  });

  it('Warn: the request succeeds with a Warning header', async () => {
    const res = await cluster.request({ method: 'POST', path: configMapsPath(ns), body: configMap('old', { legacy: 'x' }) });
    expectStatus(res, 201);
    expect(res.headers.warning).toBe(`299 - "Validation failed for ValidatingAdmissionPolicy '${warn}' with binding '${warn}': legacy is deprecated"`);
  });

  it('kubectl shows the refusal and the warning', async () => {
    const refused = await cluster.kubectl(['create', 'configmap', 'kc', '-n', ns, '--from-literal=forbidden=1'], { allowFailure: true });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`configmaps "kc" is forbidden: ValidatingAdmissionPolicy '${deny}' with binding '${deny}' denied request: no key may be named forbidden`);
    const warned = await cluster.kubectl(['create', 'configmap', 'kc2', '-n', ns, '--from-literal=legacy=1']);
    expect(warned.stderr).toContain(`Warning: Validation failed for ValidatingAdmissionPolicy '${warn}' with binding '${warn}': legacy is deprecated`);
  });
});
