import { beforeAll, describe, expect, it } from 'vitest';
import { useCluster } from '../harness/cluster.js';
import {
  CLUSTER_ROLES, clusterScoped, configMapPolicy, impersonating, POLICIES, POLICY_BINDINGS, policyBinding, roleBinding, roleBindingsPath, rolesPath, uniqueUser, userSubject,
} from './auth-support.js';
import { configMap, configMapsPath, expectStatus, ok, statusOf } from './support.js';

// The CEL authorizer: a policy asks RBAC whether the requesting user may do something else (here a
// made-up verb on a subresource-like name, as CertificateSigningRequest approval does).
const cluster = useCluster();
const create = clusterScoped(cluster);

describe('ValidatingAdmissionPolicy: authorizer', () => {
  let ns: string;
  const id = uniqueUser('vapa');
  const signer = uniqueUser('signer');
  const stranger = uniqueUser('stranger');

  beforeAll(async () => {
    ns = await cluster.newNamespace('vap-authz');
    // Both may write configmaps; only the signer may `sign` configmaps/signature.
    ok(await cluster.request({ method: 'POST', path: rolesPath(ns), body: { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'writer' },
      rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['create', 'get', 'patch', 'update'] }] } }));
    ok(await cluster.request({ method: 'POST', path: roleBindingsPath(ns), body: roleBinding('writers', 'Role', 'writer', [userSubject(signer), userSubject(stranger)]) }));
    await create(CLUSTER_ROLES, { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: `${id}-signer` },
      rules: [{ apiGroups: [''], resources: ['configmaps/signature'], verbs: ['sign'] }] });
    ok(await cluster.request({ method: 'POST', path: roleBindingsPath(ns), body: roleBinding('signers', 'ClusterRole', `${id}-signer`, [userSubject(signer)]) }));
    await create(POLICIES, configMapPolicy(id, ns, {
      validations: [{
        expression: "!has(object.metadata.annotations) || !('signed-by' in object.metadata.annotations) || " +
          "(object.metadata.annotations['signed-by'] == request.userInfo.username && " +
          "authorizer.group('').resource('configmaps').subresource('signature').namespace(request.namespace).name(object.metadata.name).check('sign').allowed())",
        messageExpression: "request.userInfo.username + ' may not sign'",
        reason: 'Forbidden',
      }],
    }));
    await create(POLICY_BINDINGS, policyBinding(id, id, ['Deny']));
    await cluster.waitFor(async () => (await cluster.request({ method: 'POST', path: `${configMapsPath(ns)}?dryRun=All`,
      body: configMap('probe', {}, { annotations: { 'signed-by': 'nobody' } }) })).status === 403, { what: 'the policy to take effect', timeoutMs: 30_000 });
    await cluster.waitFor(async () => (await cluster.request({ path: configMapsPath(ns, 'none'), headers: impersonating(stranger) })).status === 404,
      { what: 'the RoleBinding to take effect' });
  });

  it('allows the user the authorizer says may sign', async () => {
    const res = await cluster.request({ method: 'POST', path: configMapsPath(ns), headers: impersonating(signer),
      body: configMap('by-signer', {}, { annotations: { 'signed-by': signer } }) });
    expectStatus(res, 201);
  });

  it('refuses a user without the verb, and one claiming another user\'s name', async () => {
    const res = await cluster.request({ method: 'POST', path: configMapsPath(ns), headers: impersonating(stranger),
      body: configMap('by-stranger', {}, { annotations: { 'signed-by': stranger } }) });
    expectStatus(res, 403);
    expect(statusOf(res).message).toBe(`configmaps "by-stranger" is forbidden: ValidatingAdmissionPolicy '${id}' with binding '${id}' denied request: ${stranger} may not sign`);
    const claim = await cluster.request({ method: 'POST', path: configMapsPath(ns), headers: impersonating(stranger),
      body: configMap('claims-signer', {}, { annotations: { 'signed-by': signer } }) });
    expectStatus(claim, 403);
  });
});
