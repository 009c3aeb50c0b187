import { describe, expect, it } from 'vitest';
import { DEFAULT_ROUTER } from './desiredNetworkPolicy.js';
import { parseRouterLocation } from './router-location.js';

describe('parseRouterLocation', () => {
  it('defaults when no flag is given', () => {
    expect(parseRouterLocation({})).toEqual(DEFAULT_ROUTER);
  });

  it('reads the flags the chart passes', () => {
    expect(parseRouterLocation({
      'router-namespace': 'ai-system',
      'router-pod-labels': 'app.kubernetes.io/name=agentlab, app.kubernetes.io/component=router',
      'router-port': '8080',
    })).toEqual({ namespace: 'ai-system', podLabels: { 'app.kubernetes.io/name': 'agentlab', 'app.kubernetes.io/component': 'router' }, port: 8080 });
  });

  it.each([
    [{ 'router-pod-labels': 'app' }, /--router-pod-labels: "app" is not a label/],
    [{ 'router-pod-labels': 'app=a=b' }, /--router-pod-labels: "app=a=b"/],
    [{ 'router-pod-labels': '' }, /--router-pod-labels/],
    [{ 'router-port': 'http' }, /--router-port "http" is not a port number/],
    [{ 'router-port': '70000' }, /--router-port "70000"/],
    [{ 'router-port': '80.5' }, /--router-port "80.5"/],
    [{ 'router-namespace': 'Bad_NS' }, /--router-namespace "Bad_NS" is not a valid namespace/],
  ])('rejects %j with an error naming the flag', (flags, message) => {
    expect(() => parseRouterLocation(flags)).toThrow(message);
  });
});
