import { beforeAll, describe, expect, it } from 'vitest';
import { useCluster } from '../harness/cluster.js';
import { clusterScoped, configMapPolicy, POLICIES, POLICY_BINDINGS, policyBinding, uniqueUser } from './auth-support.js';
import { configMap, configMapsPath, expectStatus, ok, statusOf } from './support.js';

// paramKind + paramRef: a binding hands the policy a param object (here a ConfigMap); a missing
// param under parameterNotFoundAction Deny refuses with a configuration error.
const cluster = useCluster();
const create = clusterScoped(cluster);

describe('ValidatingAdmissionPolicy: params', () => {
  let ns: string;
  let other: string;
  const id = uniqueUser('vapp');

  beforeAll(async () => {
    ns = await cluster.newNamespace('vap-params');
    other = await cluster.newNamespace('vap-params-missing');
    ok(await cluster.request({ method: 'POST', path: configMapsPath(ns), body: configMap('limits', { maxKeys: '1' }) }));
    const policy = configMapPolicy(id, ns, {
      paramKind: { apiVersion: 'v1', kind: 'ConfigMap' },
      matchConditions: [{ name: 'not-the-params', expression: "object.metadata.name != 'limits'" }],
      validations: [{ expression: '!has(object.data) || size(object.data) <= int(params.data.maxKeys)', messageExpression: "'at most ' + params.data.maxKeys + ' keys'" }],
    });
    policy.spec.matchConstraints.namespaceSelector = { matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'In', values: [ns, other] }] };
    await create(POLICIES, policy);
    await create(POLICY_BINDINGS, policyBinding(id, id, ['Deny'], { paramRef: { name: 'limits', parameterNotFoundAction: 'Deny' } }));
    await cluster.waitFor(async () => (await cluster.request({ method: 'POST', path: `${configMapsPath(ns)}?dryRun=All`, body: configMap('probe', { a: '1', b: '2' }) })).status === 422,
      { what: 'the policy to take effect', timeoutMs: 30_000 });
  });

  it('the param object (found in the request\'s namespace) is `params`', async () => {
    ok(await cluster.request({ method: 'POST', path: configMapsPath(ns), body: configMap('one', { a: '1' }) }));
    const res = await cluster.request({ method: 'POST', path: configMapsPath(ns), body: configMap('two', { a: '1', b: '2' }) });
    expectStatus(res, 422);
    expect(statusOf(res).message).toBe(`configmaps "two" is forbidden: ValidatingAdmissionPolicy '${id}' with binding '${id}' denied request: at most 1 keys`);
  });

  it('no param object under parameterNotFoundAction Deny: the binding refuses with its configuration error', async () => {
    const res = await cluster.request({ method: 'POST', path: configMapsPath(other), body: configMap('any', { a: '1' }) });
    expectStatus(res, 422);
    expect(statusOf(res)).toMatchObject({
      reason: 'Invalid',
      message: `configmaps "any" is forbidden: ValidatingAdmissionPolicy '${id}' with binding '${id}' denied request: failed to configure binding: no params found for policy binding with \`Deny\` parameterNotFoundAction`,
    });
  });
});
