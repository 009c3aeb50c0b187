// A simulated node's hardware (disks, ZFS pools) and a shell that answers the commands HardwareTask
// check and command steps run (lsblk, smartctl, zpool, dmesg, df) from that model, so that the
// simulator never runs them on the machine it runs on. The model lives in the Node's annotation
// sim.agentlab.dev/hardware (JSON); `zpool add` changes it, and a person "fits a disk" by adding one
// (addSimulatedDisk, or kubectl annotate). Nodes without the annotation get defaultHardware(node).

export const HARDWARE_ANNOTATION = 'sim.agentlab.dev/hardware';

export interface SimDisk {
  /** Kernel name, e.g. sdb. */
  name: string;
  model: string;
  /** Size in bytes. */
  sizeBytes: number;
  serial: string;
  /** SMART overall health: PASSED or FAILED. */
  health: 'PASSED' | 'FAILED';
}

export interface SimPool {
  name: string;
  /** Disk names (sda) in the pool, one vdev each. */
  disks: string[];
  health: 'ONLINE' | 'DEGRADED' | 'FAULTED';
}

export interface SimHardware {
  disks: SimDisk[];
  pools: SimPool[];
}

const TB = 1000 ** 4;
const GB = 1000 ** 3;

/** Every simulated node starts with a system SSD holding the pool `tank`. */
export function defaultHardware(node: string): SimHardware {
  const tag = [...node].reduce((h, c) => (h * 31 + c.charCodeAt(0)) >>> 0, 7).toString(36).toUpperCase().padStart(6, '0').slice(0, 6);
  return {
    disks: [{ name: 'sda', model: 'Samsung SSD 870 EVO 1TB', sizeBytes: 1 * TB, serial: `S6PUNX0T${tag}`, health: 'PASSED' }],
    pools: [{ name: 'tank', disks: ['sda'], health: 'ONLINE' }],
  };
}

/** The model from a Node's annotations; a malformed annotation is an error naming it. */
export function hardwareOf(node: string, annotations: Record<string, string> | undefined): SimHardware {
  const raw = annotations?.[HARDWARE_ANNOTATION];
  if (raw === undefined) return defaultHardware(node);
  let parsed: SimHardware;
  try {
    parsed = JSON.parse(raw) as SimHardware;
  } catch (err) {
    throw new Error(`node ${node}: annotation ${HARDWARE_ANNOTATION} is not JSON: ${(err as Error).message}`);
  }
  if (!Array.isArray(parsed?.disks) || !Array.isArray(parsed?.pools)) throw new Error(`node ${node}: annotation ${HARDWARE_ANNOTATION} needs "disks" and "pools" lists`);
  return parsed;
}

/** Sizes as people write them: 4T, 500G, 4TB, 1.5T (decimal units, as disk vendors count). */
export function parseDiskSize(text: string): number {
  const m = /^([0-9]+(?:\.[0-9]+)?)\s*([TG])B?$/i.exec(text.trim());
  if (!m) throw new Error(`disk size ${JSON.stringify(text)}: write it like 4T or 500G`);
  return Math.round(Number(m[1]) * (m[2].toUpperCase() === 'T' ? TB : GB));
}

/** A disk fitted by a person: the next free sdX name. */
export function withDisk(hw: SimHardware, disk: { model?: string; sizeBytes: number; serial: string; health?: SimDisk['health'] }): SimHardware {
  if (hw.disks.some((d) => d.serial === disk.serial)) throw new Error(`a disk with serial ${disk.serial} is already fitted`);
  let i = 0;
  while (hw.disks.some((d) => d.name === `sd${String.fromCharCode(97 + i)}`)) i++;
  const name = `sd${String.fromCharCode(97 + i)}`;
  return { ...hw, disks: [...hw.disks, { name, model: disk.model ?? 'WDC WD40EFPX-68C6CN0', sizeBytes: disk.sizeBytes, serial: disk.serial, health: disk.health ?? 'PASSED' }] };
}

/** lsblk's human size (binary units, one decimal), e.g. 3.6T, 931.5G. */
function human(bytes: number): string {
  const units = ['B', 'K', 'M', 'G', 'T', 'P'];
  let v = bytes;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) { v /= 1024; u++; }
  return `${v >= 10 || Number.isInteger(v) ? Math.round(v * 10) / 10 : v.toFixed(1)}${units[u]}`;
}

export interface ShellResult { exitCode: number; output: string; hardware: SimHardware }

const byIdPath = (d: SimDisk) => `/dev/disk/by-id/ata-${d.model.replace(/\s+/g, '_')}_${d.serial}`;

/** Resolves /dev/sdb, sdb or /dev/disk/by-id/ata-<model>_<serial> to a disk. */
function findDisk(hw: SimHardware, ref: string): SimDisk | undefined {
  return hw.disks.find((d) => ref === d.name || ref === `/dev/${d.name}` || ref === byIdPath(d) || (ref.startsWith('/dev/disk/by-id/') && ref.endsWith(`_${d.serial}`)));
}

function poolSize(hw: SimHardware, pool: SimPool): number {
  return pool.disks.reduce((n, name) => n + (hw.disks.find((d) => d.name === name)?.sizeBytes ?? 0), 0);
}

function lsblk(hw: SimHardware, args: string[]): string {
  const inPool = (d: SimDisk) => hw.pools.find((p) => p.disks.includes(d.name));
  const rows = hw.disks.map((d) => ({ name: d.name, size: human(d.sizeBytes), type: 'disk', model: d.model, serial: d.serial, mountpoint: null as string | null, fstype: inPool(d) ? 'zfs_member' : null }));
  if (args.includes('-J') || args.includes('--json')) {
    const oIndex = args.indexOf('-o');
    const cols = oIndex >= 0 ? args[oIndex + 1].toLowerCase().split(',') : ['name', 'size', 'type', 'mountpoint'];
    return `${JSON.stringify({ blockdevices: rows.map((r) => Object.fromEntries(cols.map((c) => [c, (r as Record<string, unknown>)[c] ?? null]))) }, null, 3)}\n`;
  }
  return `NAME SIZE TYPE MODEL SERIAL\n${rows.map((r) => `${r.name} ${r.size} ${r.type} ${r.model} ${r.serial}`).join('\n')}\n`;
}

function smartctl(hw: SimHardware, args: string[]): { exitCode: number; output: string } {
  const head = 'smartctl 7.3 2022-02-28 r5338 [x86_64-linux-6.8.0] (local build)\nCopyright (C) 2002-22, Bruce Allen, Christian Franke, www.smartmontools.org\n\n';
  const dev = args.find((a) => !a.startsWith('-'));
  if (!dev) return { exitCode: 1, output: `${head}ERROR: smartctl requires a device name as the final command-line argument.\n` };
  const disk = findDisk(hw, dev);
  if (!disk) return { exitCode: 2, output: `${head}${dev}: Unable to detect device type\nPlease specify device type with the -d option.\n` };
  const health = `=== START OF READ SMART DATA SECTION ===\nSMART overall-health self-assessment test result: ${disk.health}\n`;
  const info = `=== START OF INFORMATION SECTION ===\nDevice Model:     ${disk.model}\nSerial Number:    ${disk.serial}\nUser Capacity:    ${disk.sizeBytes.toLocaleString('en-US')} bytes [${(disk.sizeBytes / TB >= 1 ? `${(disk.sizeBytes / TB).toFixed(2)} TB` : `${Math.round(disk.sizeBytes / GB)} GB`)}]\n\n`;
  const exitCode = disk.health === 'PASSED' ? 0 : 8;
  if (args.includes('-a') || args.includes('--all') || args.includes('-i')) return { exitCode, output: `${head}${info}${args.includes('-i') ? '' : health}` };
  if (args.includes('-H') || args.includes('--health')) return { exitCode, output: `${head}${health}` };
  return { exitCode: 1, output: `${head}ERROR: smartctl: give -H, -i or -a (this simulated smartctl answers those)\n` };
}

function zpool(hw: SimHardware, args: string[]): { exitCode: number; output: string; hardware?: SimHardware } {
  const [sub, ...rest] = args;
  const poolArg = rest.filter((a, i) => !a.startsWith('-') && rest[i - 1] !== '-o').at(0);
  const pools = poolArg ? hw.pools.filter((p) => p.name === poolArg) : hw.pools;
  if (poolArg && pools.length === 0 && sub !== 'add') return { exitCode: 1, output: `cannot open '${poolArg}': no such pool\n` };
  if (sub === 'status') {
    return { exitCode: 0, output: pools.map((p) => `  pool: ${p.name}\n state: ${p.health}\nconfig:\n\n\tNAME        STATE     READ WRITE CKSUM\n\t${p.name.padEnd(11)} ${p.health.padEnd(9)} 0     0     0\n${p.disks.map((d) => `\t  ${d.padEnd(9)} ONLINE       0     0     0\n`).join('')}\nerrors: No known data errors\n`).join('\n') };
  }
  if (sub === 'list') {
    const scripted = rest.includes('-H');
    const oIndex = rest.indexOf('-o');
    const cols = oIndex >= 0 ? rest[oIndex + 1].split(',') : ['name', 'size', 'alloc', 'free', 'health'];
    const value = (p: SimPool, c: string) => ({ name: p.name, size: human(poolSize(hw, p)), alloc: human(poolSize(hw, p) * 0.8), free: human(poolSize(hw, p) * 0.2), health: p.health })[c] ?? '-';
    const lines = pools.map((p) => cols.map((c) => value(p, c)).join(scripted ? '\t' : '  '));
    return { exitCode: 0, output: `${scripted ? '' : `${cols.map((c) => c.toUpperCase()).join('  ')}\n`}${lines.join('\n')}\n` };
  }
  if (sub === 'add') {
    const [name, ...devs] = rest.filter((a) => !a.startsWith('-'));
    const pool = hw.pools.find((p) => p.name === name);
    if (!pool) return { exitCode: 1, output: `cannot open '${name ?? ''}': no such pool\n` };
    if (devs.length === 0) return { exitCode: 2, output: 'missing vdev specification\n' };
    const disks: SimDisk[] = [];
    for (const dev of devs) {
      const d = findDisk(hw, dev);
      if (!d) return { exitCode: 1, output: `cannot open '${dev}': no such device in /dev\nmust be a full path or shorthand device name\n` };
      if (hw.pools.some((p) => p.disks.includes(d.name))) return { exitCode: 1, output: `/dev/${d.name} is part of active pool '${hw.pools.find((p) => p.disks.includes(d.name))!.name}'\n` };
      disks.push(d);
    }
    const hardware = { ...hw, pools: hw.pools.map((p) => (p === pool ? { ...p, disks: [...p.disks, ...disks.map((d) => d.name)] } : p)) };
    return { exitCode: 0, output: '', hardware };
  }
  return { exitCode: 2, output: `unrecognized command '${sub ?? ''}'\nusage: zpool command args ...\n` };
}

/**
 * One command line against the model. Words split on blanks (no quoting, pipes or variables:
 * those fail like a shell without the tool would say). Unknown commands exit 127 with sh's message.
 */
export function simulatedShell(hw: SimHardware, line: string): ShellResult {
  const words = line.trim().split(/\s+/).filter(Boolean);
  const [cmd, ...args] = words;
  const done = (r: { exitCode: number; output: string; hardware?: SimHardware }): ShellResult => ({ exitCode: r.exitCode, output: r.output, hardware: r.hardware ?? hw });
  if (!cmd) return done({ exitCode: 0, output: '' });
  if (/[|;&<>`$()]/.test(line)) return done({ exitCode: 2, output: `sh: simulated shell: pipes, redirections and variables are not simulated: ${line}\n` });
  switch (cmd) {
    case 'true': return done({ exitCode: 0, output: '' });
    case 'false': return done({ exitCode: 1, output: '' });
    case 'echo': return done({ exitCode: 0, output: `${args.join(' ')}\n` });
    case 'lsblk': return done({ exitCode: 0, output: lsblk(hw, args) });
    case 'smartctl': return done(smartctl(hw, args));
    case 'zpool': return done(zpool(hw, args));
    case 'dmesg': return done({ exitCode: 0, output: hw.disks.map((d, i) => `[    ${(2.5 + i * 0.01).toFixed(6)}] sd ${i}:0:0:0: [${d.name}] ${Math.floor(d.sizeBytes / 512)} 512-byte logical blocks: (${(d.sizeBytes / TB).toFixed(2)} TB)\n`).join('') });
    case 'df': return done({ exitCode: 0, output: `Filesystem     1K-blocks      Used Available Use% Mounted on\n${hw.pools.map((p) => `${p.name.padEnd(14)} ${String(Math.floor(poolSize(hw, p) / 1024)).padStart(10)} ${String(Math.floor(poolSize(hw, p) * 0.8 / 1024)).padStart(9)} ${String(Math.floor(poolSize(hw, p) * 0.2 / 1024)).padStart(9)}  80% /${p.name}`).join('\n')}\n` });
    default: return done({ exitCode: 127, output: `sh: 1: ${cmd}: not found\n` });
  }
}
