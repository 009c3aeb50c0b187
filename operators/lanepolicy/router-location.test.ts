import { describe, expect, it } from 'vitest';
import { DEFAULT_ROUTER } from './desiredNetworkPolicy.js';
import { routerLocationFromEnv } from './router-location.js';

describe('routerLocationFromEnv', () => {
  it('defaults when nothing is set', () => {
    expect(routerLocationFromEnv({})).toEqual(DEFAULT_ROUTER);
  });

  it('reads the chart-provided values', () => {
    expect(routerLocationFromEnv({
      AGENTLAB_ROUTER_NAMESPACE: 'ai-system',
      AGENTLAB_ROUTER_POD_LABELS: 'app.kubernetes.io/name=agentlab, app.kubernetes.io/component=router',
      AGENTLAB_ROUTER_PORT: '8080',
    })).toEqual({ namespace: 'ai-system', podLabels: { 'app.kubernetes.io/name': 'agentlab', 'app.kubernetes.io/component': 'router' }, port: 8080 });
  });

  it.each([
    [{ AGENTLAB_ROUTER_POD_LABELS: 'app' }, /AGENTLAB_ROUTER_POD_LABELS: "app" is not a label/],
    [{ AGENTLAB_ROUTER_POD_LABELS: 'app=a=b' }, /AGENTLAB_ROUTER_POD_LABELS: "app=a=b"/],
    [{ AGENTLAB_ROUTER_POD_LABELS: '' }, /AGENTLAB_ROUTER_POD_LABELS/],
    [{ AGENTLAB_ROUTER_PORT: 'http' }, /AGENTLAB_ROUTER_PORT="http" is not a port number/],
    [{ AGENTLAB_ROUTER_PORT: '70000' }, /AGENTLAB_ROUTER_PORT="70000"/],
    [{ AGENTLAB_ROUTER_NAMESPACE: 'Bad_NS' }, /AGENTLAB_ROUTER_NAMESPACE="Bad_NS" is not a valid namespace/],
  ])('rejects %j with an error naming the variable', (env, message) => {
    expect(() => routerLocationFromEnv(env)).toThrow(message);
  });
});
