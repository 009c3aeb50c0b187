import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOperator } from '../../operators/manager.js';
import { serveHttp } from '../../operators/runtime/http.js';
import { startRouter } from '../../operators/router/server.js';
import { useCluster } from '../harness/cluster.js';
import { ALL_ON, CHART_DIR, renderChart } from './chart.js';
import { alertExpressions, dashboardExpressions, exposedSeriesNames, parsePromQL, substituteGrafanaVariables, type Expression } from './promql.js';

const cluster = useCluster();
const dashboard = JSON.parse(readFileSync(path.join(CHART_DIR, 'files', 'dashboard.json'), 'utf8')) as { panels: never[]; templating: { list: { query?: unknown }[] } };
const alerts = alertExpressions(renderChart({ values: ALL_ON }));
const panels = dashboardExpressions(dashboard).map((e) => ({ ...e, expr: substituteGrafanaVariables(e.expr) }));

describe('PromQL in alerts and dashboard', () => {
  it('finds the expressions', () => {
    expect(alerts.length).toBe(14);
    expect(panels.length).toBeGreaterThan(15);
  });

  it.each([...alerts, ...panels].map((e) => [e.where, e] as [string, Expression]))('%s parses with lezer-promql', (_where, e) => {
    const parsed = parsePromQL(e.expr);
    expect(parsed.errors, e.expr).toEqual([]);
    expect(parsed.metrics.length, e.expr).toBeGreaterThan(0);
  });

  it('reports syntax errors (the check can fail)', () => {
    expect(parsePromQL('sum by (lane) (rate(agentlab_llm_requests_total[5m])').errors).not.toEqual([]);
    expect(parsePromQL('rate(x[$__rate_interval])').errors).not.toEqual([]);
    expect(parsePromQL('max(a) + on (b) c{__name__="d"}').metrics).toEqual(['a', 'c', 'd']);
  });
});

describe('every metric the alerts and dashboard query is exported by the operator or the router', () => {
  let exported: Set<string>;
  const stops: (() => Promise<void>)[] = [];

  beforeAll(async () => {
    const ns = await cluster.newNamespace('gitops-metrics');
    const selector = `agentlab.dev/gitops-metrics=${randomBytes(4).toString('hex')}`;
    const logger = pino({ level: 'silent' });
    const operator = await startOperator({ kubeConfig: cluster.kc, logger, namespaces: [ns], labelSelector: selector, leaderElection: false, metricsPort: 0, bindAddress: '127.0.0.1' });
    stops.push(() => operator.stop());
    const router = await startRouter({ kubeConfig: cluster.kc, logger, port: 0, laneSelector: selector, namespace: ns });
    stops.push(() => router.stop());
    // Served as `agentlab router --metrics-bind-address` serves it.
    const routerMetrics = await serveHttp({ port: 0, registry: router.registry });
    stops.push(() => routerMetrics.close());
    exported = new Set<string>();
    for (const url of [operator.metricsUrl!, routerMetrics.url]) {
      const res = await fetch(`${url}/metrics`);
      expect(res.status).toBe(200);
      for (const n of exposedSeriesNames(await res.text())) exported.add(n);
    }
  });

  afterAll(async () => {
    for (const stop of stops.reverse()) await stop();
  });

  it('scrapes the series the code defines', () => {
    for (const n of ['controller_runtime_reconcile_total', 'workqueue_depth', 'agentlab_resource_ready', 'agentlab_resource_phase', 'agentlab_resource_usage_tokens', 'agentlab_resource_usage_cost_usd', 'agentlab_llm_tokens_total', 'agentlab_llm_time_to_first_token_seconds_bucket']) {
      expect(exported, n).toContain(n);
    }
  });

  it('alerts use only exported metrics', () => {
    const unknown = alerts.flatMap((e) => parsePromQL(e.expr).metrics.filter((m) => !exported.has(m)).map((m) => `${e.where}: ${m}`));
    expect(unknown).toEqual([]);
  });

  it('dashboard panels and variables use only exported metrics', () => {
    const unknown = panels.flatMap((e) => parsePromQL(e.expr).metrics.filter((m) => !exported.has(m)).map((m) => `${e.where}: ${m}`));
    for (const v of dashboard.templating.list) {
      const q = JSON.stringify(v.query ?? '');
      for (const m of q.matchAll(/label_values\((\w+)/g)) if (!exported.has(m[1])) unknown.push(`variable: ${m[1]}`);
    }
    expect(unknown).toEqual([]);
  });

  it('tells a missing metric apart (the comparison can fail)', () => {
    expect(exported.has('agentlab_llm_tokens')).toBe(false);
    expect(exported.has('controller_runtime_reconcile_time_seconds')).toBe(true);
    expect(exported.has('controller_runtime_reconcile_time_seconds_bucket')).toBe(true);
  });
});
