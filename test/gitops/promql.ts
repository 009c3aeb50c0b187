/** PromQL as the chart uses it: expressions from the PrometheusRule and the dashboard, parsed with lezer-promql. */
import { parser } from '@prometheus-io/lezer-promql';
import type { Obj } from './chart.js';

export interface Expression { where: string; expr: string }

export function alertExpressions(objects: Obj[]): Expression[] {
  const out: Expression[] = [];
  for (const o of objects.filter((x) => x.kind === 'PrometheusRule')) {
    const groups = (o as unknown as { spec: { groups: { name: string; rules: { alert?: string; record?: string; expr: string }[] }[] } }).spec.groups;
    for (const g of groups) for (const r of g.rules) out.push({ where: `${g.name}/${r.alert ?? r.record}`, expr: String(r.expr) });
  }
  return out;
}

interface Panel { title?: string; targets?: { expr?: string; refId?: string }[]; panels?: Panel[] }

export function dashboardExpressions(dashboard: { panels?: Panel[] }): Expression[] {
  const out: Expression[] = [];
  const walk = (panels: Panel[] = []) => {
    for (const p of panels) {
      for (const t of p.targets ?? []) if (t.expr) out.push({ where: `panel "${p.title}" ${t.refId}`, expr: t.expr });
      walk(p.panels);
    }
  };
  walk(dashboard.panels);
  return out;
}

/** Grafana substitutes its variables before the query reaches Prometheus; do the same. */
export function substituteGrafanaVariables(expr: string): string {
  return expr
    .replace(/\$__rate_interval|\$__interval|\$__range/g, '5m')
    .replace(/\$\{?(\w+)\}?/g, 'value');
}

export interface Parsed { errors: string[]; metrics: string[] }

/** Syntax errors (lezer error nodes, with the text around them) and the metric names selected. */
export function parsePromQL(expr: string): Parsed {
  const tree = parser.parse(expr);
  const errors: string[] = [];
  const metrics = new Set<string>();
  tree.iterate({
    enter(n) {
      if (n.type.isError) errors.push(`syntax error at ${n.from}: ...${expr.slice(Math.max(0, n.from - 20), n.from)}<here>${expr.slice(n.from, n.from + 20)}...`);
      if (n.name === 'VectorSelector') {
        const id = n.node.getChild('Identifier');
        if (id) metrics.add(expr.slice(id.from, id.to));
        const matchers = n.node.getChild('LabelMatchers');
        for (const m of matchers?.getChildren('UnquotedLabelMatcher') ?? []) {
          const label = m.getChild('LabelName');
          const value = m.getChild('StringLiteral');
          if (label && value && expr.slice(label.from, label.to) === '__name__') metrics.add(JSON.parse(expr.slice(value.from, value.to)) as string);
        }
      }
    },
  });
  return { errors, metrics: [...metrics].sort() };
}

/**
 * Series names a Prometheus text exposition offers: every `# TYPE` family, with the _bucket,
 * _sum and _count series of histograms and summaries (and _created where exposed).
 */
export function exposedSeriesNames(exposition: string): Set<string> {
  const names = new Set<string>();
  for (const line of exposition.split('\n')) {
    const m = /^# TYPE (\S+) (\w+)/.exec(line);
    if (m) {
      const [, name, type] = m;
      names.add(name);
      if (type === 'histogram') for (const s of ['_bucket', '_sum', '_count']) names.add(name + s);
      if (type === 'summary') for (const s of ['_sum', '_count']) names.add(name + s);
      continue;
    }
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)[{ ]/.exec(line);
    if (sample) names.add(sample[1]);
  }
  return names;
}
