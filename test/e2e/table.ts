/**
 * Parses kubectl's column output (a header line, then one line per row, columns separated by
 * two or more spaces as kubectl's tabwriter pads them) into records keyed by header.
 * Columns are located by the header's character offsets, so empty cells stay empty.
 */
export function parseColumns(output: string): Array<Record<string, string>> {
  const lines = output.split('\n').filter((l) => l.trim().length > 0);
  if (lines.length === 0) return [];
  const header = lines[0];
  const starts: Array<{ name: string; at: number }> = [];
  const re = /\S+(?: \S+)*/g;
  for (let m = re.exec(header); m; m = re.exec(header)) starts.push({ name: m[0], at: m.index });
  return lines.slice(1).map((line) => {
    const row: Record<string, string> = {};
    starts.forEach((col, i) => {
      const end = i + 1 < starts.length ? starts[i + 1].at : line.length;
      row[col.name] = line.slice(col.at, end).trim();
    });
    return row;
  });
}

export const widgetYaml = (name: string, spec: string, extra = ''): string =>
  `apiVersion: conformance.agentlab.dev/v1
kind: Widget
metadata:
  name: ${name}
${extra}spec:
${spec}
`;
