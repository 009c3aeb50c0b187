import { describe, expect, it } from 'vitest';
import { defaultHardware } from '../../hack/nodesim/hardware.js';
import { hardwareNodeClient } from '../../hack/nodesim/hardware-node.js';
import { main } from '../../operators/cli/main.js';
import { useCluster } from '../harness/cluster.js';

// `agentlab dev add-disk`: a person fits a disk in a simulated node; the node simulator's hardware
// model (the Node annotation) gets it, and the simulated smartctl sees it.
const cluster = useCluster();
const NODE = 'still-fawn';

async function cli(args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(args, { stdout: (t: string) => void out.push(t), stderr: (t: string) => void err.push(t), isTTY: false, cwd: process.cwd() });
  return { code, stdout: out.join(''), stderr: err.join('') };
}

describe('agentlab dev add-disk', () => {
  it.runIf(cluster.nodeSimulator)('fits a disk as the next sdX in the node\'s simulated hardware, once per serial', async () => {
    const nodes = hardwareNodeClient(cluster.kc);
    await nodes.write(NODE, defaultHardware(NODE));
    const serial = `WD-CLI${Math.random().toString(36).slice(2, 8).toUpperCase()}`;
    const r = await cli(['dev', 'add-disk', NODE, '--size', '4T', '--serial', serial, '--kubeconfig', cluster.kubeconfigPath]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`node/${NODE}: fitted WDC WD40EFPX-68C6CN0 (4T, serial ${serial}) as /dev/sdb\n`);
    expect((await nodes.read(NODE)).disks.find((d) => d.serial === serial)).toMatchObject({ name: 'sdb', sizeBytes: 4e12, health: 'PASSED' });
    const again = await cli(['dev', 'add-disk', NODE, '--size', '4T', '--serial', serial, '--kubeconfig', cluster.kubeconfigPath]);
    expect(again).toMatchObject({ code: 1, stderr: `agentlab dev: a disk with serial ${serial} is already fitted\n` });
  });

  it('names what is missing or malformed', async () => {
    expect(await cli(['dev', 'add-disk', NODE, '--size', '4T', '--kubeconfig', cluster.kubeconfigPath])).toMatchObject({ code: 2, stderr: expect.stringContaining('add-disk: --serial is required') });
    expect(await cli(['dev', 'add-disk', NODE, '--size', 'big', '--serial', 'X', '--kubeconfig', cluster.kubeconfigPath])).toMatchObject({ code: 2, stderr: expect.stringContaining('--size: disk size "big": write it like 4T or 500G') });
    expect(await cli(['dev', 'add-disk', '--size', '4T', '--serial', 'X'])).toMatchObject({ code: 2, stderr: expect.stringContaining('add-disk: name the node') });
  });
});
