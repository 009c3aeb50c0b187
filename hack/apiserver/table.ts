/**
 * Server-side printing (`Accept: application/json;as=Table;v=v1;g=meta.k8s.io`): the columns
 * `kubectl get` shows. CRDs use their additionalPrinterColumns (JSONPath), built-ins the
 * printers in table-builtin.ts.
 */
import { humanDuration } from './duration.js';
import { evalJsonPath, parseJsonPath } from './jsonpath.js';
import { groupResourceKey, type PrinterColumn, type ResourceInfo } from './registry.js';
import { BUILTIN_PRINTERS, DEFAULT_PRINTER, type Cell, type ColumnDefinition } from './table-builtin.js';
import type { KObject } from './types.js';

export type IncludeObject = 'None' | 'Object' | 'PartialObjectMetadata';

export interface TableRow { cells: Cell[]; object?: unknown }
export interface Table {
  kind: 'Table'; apiVersion: 'meta.k8s.io/v1';
  metadata: { resourceVersion?: string; continue?: string; remainingItemCount?: number };
  columnDefinitions: ColumnDefinition[];
  rows: TableRow[];
}

const CREATION_DESCRIPTION = 'CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata';

/** Columns for a CRD version: Name first, then its printer columns or a default Age column. */
export function customColumns(cols: PrinterColumn[] | undefined): PrinterColumn[] {
  if (cols && cols.length) return cols;
  return [{ name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp', description: CREATION_DESCRIPTION }];
}

interface Printer { columns: ColumnDefinition[]; row(obj: KObject, now: number): Cell[] }

const printerCache = new WeakMap<ResourceInfo, Printer>();

export function printerFor(r: ResourceInfo): Printer {
  let p = printerCache.get(r);
  if (p) return p;
  if (r.custom) {
    const cols = customColumns(r.printerColumns);
    const compiled = cols.map((c) => ({ c, path: safeParse(c.jsonPath) }));
    p = {
      columns: [
        { name: 'Name', type: 'string', format: 'name', description: 'Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names', priority: 0 },
        ...cols.map((c) => ({ name: c.name, type: c.type, format: c.format ?? '', description: c.description ?? '', priority: c.priority ?? 0 })),
      ],
      row: (obj, now) => [obj.metadata?.name ?? '', ...compiled.map(({ c, path }) => customCell(c, path, obj, now))],
    };
  } else {
    p = BUILTIN_PRINTERS[groupResourceKey(r)] ?? DEFAULT_PRINTER;
  }
  printerCache.set(r, p);
  return p;
}

function safeParse(expr: string): ReturnType<typeof parseJsonPath> | undefined {
  try { return parseJsonPath(expr); } catch { return undefined; }
}

/** tableconvertor's cellForJSONValue: the first match, typed by the column's type. */
function customCell(c: PrinterColumn, path: ReturnType<typeof parseJsonPath> | undefined, obj: KObject, now: number): Cell {
  if (!path) return null;
  const results = evalJsonPath(path, obj);
  if (results.length === 0) return null;
  const v = results[0];
  switch (c.type) {
    case 'integer': return typeof v === 'number' && Number.isInteger(v) ? v : null;
    case 'number': return typeof v === 'number' ? v : null;
    case 'boolean': return typeof v === 'boolean' ? v : null;
    case 'date': {
      if (typeof v !== 'string') return null;
      const t = Date.parse(v);
      return Number.isNaN(t) ? null : humanDuration(now - t);
    }
    default:
      if (v === null || v === undefined) return null;
      return typeof v === 'object' ? JSON.stringify(v) : String(v);
  }
}

function rowObject(obj: KObject, include: IncludeObject): unknown {
  if (include === 'None') return undefined;
  if (include === 'Object') return obj;
  return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: obj.metadata };
}

export function toTable(r: ResourceInfo, objects: KObject[], opts: { include: IncludeObject; noHeaders?: boolean;
  metadata?: Table['metadata']; now?: number }): Table {
  const p = printerFor(r);
  const now = opts.now ?? Date.now();
  return {
    kind: 'Table', apiVersion: 'meta.k8s.io/v1', metadata: opts.metadata ?? {},
    columnDefinitions: opts.noHeaders ? [] : p.columns,
    rows: objects.map((o) => {
      const row: TableRow = { cells: p.row(o, now) };
      const obj = rowObject(o, opts.include);
      if (obj !== undefined) row.object = obj;
      return row;
    }),
  };
}
