import { describe, expect, it } from 'vitest';
import { useCluster } from '../harness/cluster.js';

// kubectl explain reads the OpenAPI v3 document the server publishes for the CRD, so every
// field's description from the schema is what a user sees.
const cluster = useCluster();

describe('kubectl explain', () => {
  it('explains the kind with its description and top-level fields', async () => {
    const out = (await cluster.kubectl(['explain', 'widgets'])).stdout;
    expect(out).toMatch(/GROUP:\s+conformance\.agentlab\.dev/);
    expect(out).toMatch(/KIND:\s+Widget/);
    expect(out).toMatch(/VERSION:\s+v1/);
    expect(out).toContain('Widget is a test-only resource for API server conformance tests.');
    expect(out).toMatch(/spec\s+<Object>/);
    expect(out).toMatch(/status\s+<Object>/);
  });

  it('explains nested fields with types, required markers and enums', async () => {
    const out = (await cluster.kubectl(['explain', 'widget.spec'])).stdout;
    expect(out).toContain('WidgetSpec is what the user wants.');
    expect(out).toMatch(/size\s+<integer> -required-/);
    expect(out).toContain('How big the widget is, from 0 to 100.');
    expect(out).toMatch(/color\s+<string>/);
    expect(out).toMatch(/enum: red, green, blue/);
  });

  it('explains a leaf field', async () => {
    const out = (await cluster.kubectl(['explain', 'wdg.spec.ports.port'])).stdout;
    expect(out).toMatch(/FIELD:\s+port\s+<integer>/);
    expect(out).toContain('The port number.');
  });

  it('--recursive lists the whole tree', async () => {
    const out = (await cluster.kubectl(['explain', 'widget.spec', '--recursive'])).stdout;
    for (const field of ['limits', 'min', 'max', 'ports', 'name', 'port', 'tags', 'quantity']) {
      expect(out).toMatch(new RegExp(`^\\s+${field}\\s`, 'm'));
    }
  });

  it('fails clearly for a field that does not exist', async () => {
    const res = await cluster.kubectl(['explain', 'widget.spec.nonsense'], { allowFailure: true });
    expect(res.code).not.toBe(0);
    expect(res.stderr).toContain('field "nonsense" does not exist');
  });
});
