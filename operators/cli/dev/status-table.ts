/** One row of the live status table. */
export interface StatusRow {
  kind: string;
  namespace: string;
  name: string;
  ready: string;
  status: string;
}

interface ObjectWithConditions {
  kind?: string;
  metadata?: { name?: string; namespace?: string };
  status?: { conditions?: { type?: string; status?: string; message?: string; reason?: string }[]; phase?: string };
}

/** The row for an object: Ready and Status from its Ready condition, as kubectl's columns show them. */
export function statusRow(kind: string, obj: ObjectWithConditions): StatusRow {
  const ready = obj.status?.conditions?.find((c) => c.type === 'Ready');
  return {
    kind,
    namespace: obj.metadata?.namespace ?? '',
    name: obj.metadata?.name ?? '',
    ready: ready?.status ?? 'Unknown',
    status: ready?.message || ready?.reason || (obj.status?.phase ?? 'waiting for the operator'),
  };
}

const HEADERS: StatusRow = { kind: 'KIND', namespace: 'NAMESPACE', name: 'NAME', ready: 'READY', status: 'STATUS' };

/** Renders rows as a kubectl-style table, sorted by kind, namespace and name; long messages are cut to `width`. */
export function renderTable(rows: StatusRow[], width = 120): string {
  const sorted = [...rows].sort((a, b) => a.kind.localeCompare(b.kind) || a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name));
  const all = [HEADERS, ...sorted];
  const cols: (keyof StatusRow)[] = ['kind', 'namespace', 'name', 'ready'];
  const widths = cols.map((c) => Math.max(...all.map((r) => r[c].length)));
  return all.map((r) => {
    const left = cols.map((c, i) => r[c].padEnd(widths[i])).join('   ');
    const room = Math.max(10, width - left.length - 3);
    const status = r.status.replace(/\s+/g, ' ');
    return `${left}   ${status.length > room ? `${status.slice(0, room - 1)}…` : status}`.trimEnd();
  }).join('\n') + '\n';
}

/** Rows whose ready/status changed since `previous` (keyed kind/namespace/name): the lines a non-TTY log prints. */
export function changedRows(previous: Map<string, StatusRow>, rows: StatusRow[]): StatusRow[] {
  return rows.filter((r) => {
    const before = previous.get(`${r.kind}/${r.namespace}/${r.name}`);
    return !before || before.ready !== r.ready || before.status !== r.status;
  });
}

export function rowKey(r: StatusRow): string {
  return `${r.kind}/${r.namespace}/${r.name}`;
}
