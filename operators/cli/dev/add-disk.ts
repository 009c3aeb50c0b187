// `agentlab dev add-disk`: a person fits a disk in a simulated node (docs/node-simulator.md, "A node's
// hardware"). It edits the node simulator's hardware model (the Node annotation
// sim.agentlab.dev/hardware) through the API, so HardwareTask checks see the disk; it never touches
// this machine's disks.
import { existsSync } from 'node:fs';
import { parseFlags, UsageError, type Command } from '../command.js';
import { loadKubeConfig } from '../kubeconfig.js';

const DEFAULT_KUBECONFIG = '.agentlab/kubeconfig';

const help = `Fit a disk in a simulated node of the dev cluster (npm start): the node simulator's hardware
model of the node gets the disk as the next free sdX, and HardwareTask check and command steps
(lsblk, smartctl, zpool) see it from then on. Nothing on this machine is touched.

Usage:
  agentlab dev add-disk <node> --size <4T|500G> --serial <serial> [flags]

Flags:
      --size <size>          capacity, decimal units as on the label: 4T, 500G (required)
      --serial <serial>      the serial number printed on the disk (required; unique in the node)
      --model <model>        model string (default WDC WD40EFPX-68C6CN0)
      --failing              SMART health FAILED (smartctl -H reports it, exit code 8)
      --kubeconfig <path>    the dev cluster's kubeconfig (default ${DEFAULT_KUBECONFIG}, else $KUBECONFIG)
  -h, --help                 show this help

Example:
  agentlab dev add-disk chief-horse --size 4T --serial WD-NEWDISK
`;

export const addDiskCommand: Command = {
  name: 'dev add-disk',
  summary: 'fit a disk in a simulated node',
  help,
  async run(args, io) {
    const parsed = parseFlags(args, {
      size: { type: 'string' },
      serial: { type: 'string' },
      model: { type: 'string' },
      failing: { type: 'boolean' },
      kubeconfig: { type: 'string' },
    }, true);
    if (!parsed) {
      io.stdout(help);
      return 0;
    }
    const [node, ...extra] = parsed.positionals;
    if (!node) throw new UsageError('add-disk: name the node, e.g. agentlab dev add-disk chief-horse --size 4T --serial WD-NEWDISK');
    if (extra.length > 0) throw new UsageError(`add-disk: one node at a time (got ${[node, ...extra].join(', ')})`);
    const size = parsed.values.size as string | undefined;
    const serial = parsed.values.serial as string | undefined;
    if (!size) throw new UsageError('add-disk: --size is required, e.g. --size 4T');
    if (!serial) throw new UsageError('add-disk: --serial is required (the serial number on the disk\'s label)');
    const kcPath = (parsed.values.kubeconfig as string | undefined) ?? (existsSync(DEFAULT_KUBECONFIG) ? DEFAULT_KUBECONFIG : undefined);
    const kc = loadKubeConfig(kcPath);
    const { addSimulatedDisk } = await import('../../../hack/nodesim/hardware-node.js');
    const { parseDiskSize } = await import('../../../hack/nodesim/hardware.js');
    try {
      parseDiskSize(size);
    } catch (err) {
      throw new UsageError(`--size: ${(err as Error).message}`);
    }
    const hw = await addSimulatedDisk(kc, node, { size, serial, model: parsed.values.model as string | undefined, health: parsed.values.failing ? 'FAILED' : 'PASSED' });
    const disk = hw.disks.find((d) => d.serial === serial)!;
    io.stdout(`node/${node}: fitted ${disk.model} (${size}, serial ${serial}) as /dev/${disk.name}\n`);
    return 0;
  },
};
