/** Turns the API server's Table (what `kubectl get` prints) into rows a model can read. */

type Cell = string | number | boolean | null;

export interface ServerTable {
  columnDefinitions: { name: string; type?: string; priority?: number }[];
  rows: { cells: unknown[]; object?: { metadata?: { name?: string; namespace?: string; labels?: Record<string, string> } } }[];
  metadata?: { continue?: string; remainingItemCount?: number; resourceVersion?: string };
}

export interface ListedRow {
  name: string;
  namespace?: string;
  /** The Ready column (the Ready condition's status for AgentLab kinds, n/m for pods). */
  ready?: string;
  /** The Status column (the Ready condition's message for AgentLab kinds). */
  status?: string;
  /** Every printer column (kubectl get -o wide), cells cut to maxCell characters. */
  columns: Record<string, Cell>;
}

const MAX_CELL = 300;

function cell(v: unknown): Cell {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string') return v.length > MAX_CELL ? `${v.slice(0, MAX_CELL)}…` : v;
  if (typeof v === 'number' || typeof v === 'boolean') return v;
  const s = JSON.stringify(v);
  return s.length > MAX_CELL ? `${s.slice(0, MAX_CELL)}…` : s;
}

export function rowsFromTable(table: ServerTable): { columns: string[]; rows: ListedRow[] } {
  const names = table.columnDefinitions.map((c) => c.name);
  const rows = table.rows.map((r) => {
    const columns: Record<string, Cell> = {};
    names.forEach((n, i) => { if (n !== 'Name') columns[n] = cell(r.cells[i]); });
    const meta = r.object?.metadata;
    const row: ListedRow = { name: String(meta?.name ?? r.cells[0] ?? ''), columns };
    if (meta?.namespace) row.namespace = meta.namespace;
    if (typeof columns.Ready === 'string') row.ready = columns.Ready;
    if (typeof columns.Status === 'string') row.status = columns.Status;
    return row;
  });
  return { columns: names, rows };
}

/** A short text table for the model: name, ready, status. */
export function rowsText(kind: string, rows: ListedRow[], more: boolean): string {
  if (rows.length === 0) return `no ${kind} found`;
  const lines = rows.map((r) => `${r.namespace ? `${r.namespace}/` : ''}${r.name}${r.ready !== undefined ? `  ready=${r.ready}` : ''}${r.status ? `  ${r.status}` : ''}`);
  return `${rows.length} ${kind}${more ? ' (more available: call again with continue)' : ''}:\n${lines.join('\n')}`;
}
