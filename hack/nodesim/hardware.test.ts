import { describe, expect, it } from 'vitest';
import { defaultHardware, hardwareOf, HARDWARE_ANNOTATION, parseDiskSize, simulatedShell, withDisk } from './hardware.js';

const fitted = () => withDisk(defaultHardware('chief-horse'), { sizeBytes: parseDiskSize('4T'), serial: 'WD-NEWDISK', model: 'WDC WD40EFPX-68C6CN0' });

describe('simulated node hardware', () => {
  it('answers lsblk -J with the disks, the fitted one as the next sdX', () => {
    const r = simulatedShell(fitted(), 'lsblk -J -o NAME,SIZE,TYPE,MODEL,SERIAL,MOUNTPOINT');
    expect(r.exitCode).toBe(0);
    expect(JSON.parse(r.output).blockdevices).toEqual([
      { name: 'sda', size: '931.3G', type: 'disk', model: 'Samsung SSD 870 EVO 1TB', serial: expect.stringMatching(/^S6PUNX0T/), mountpoint: null },
      { name: 'sdb', size: '3.6T', type: 'disk', model: 'WDC WD40EFPX-68C6CN0', serial: 'WD-NEWDISK', mountpoint: null },
    ]);
  });

  it('smartctl -H fails like the real one for a missing device and reports SMART health for a fitted one', () => {
    const missing = simulatedShell(defaultHardware('n'), 'smartctl -H /dev/sdb');
    expect(missing).toMatchObject({ exitCode: 2, output: expect.stringContaining('/dev/sdb: Unable to detect device type') });
    const ok = simulatedShell(fitted(), 'smartctl -H /dev/sdb');
    expect(ok).toMatchObject({ exitCode: 0, output: expect.stringContaining('SMART overall-health self-assessment test result: PASSED') });
    const bad = withDisk(defaultHardware('n'), { sizeBytes: 4e12, serial: 'X1', health: 'FAILED' });
    expect(simulatedShell(bad, 'smartctl -a /dev/sdb')).toMatchObject({ exitCode: 8, output: expect.stringContaining('Serial Number:    X1') });
  });

  it('zpool add by-id changes the model; zpool list shows the larger pool; a disk cannot be added twice', () => {
    const hw = fitted();
    expect(simulatedShell(hw, 'zpool list -H -o name,size,health tank').output).toBe('tank\t931.3G\tONLINE\n');
    const added = simulatedShell(hw, 'zpool add tank /dev/disk/by-id/ata-WDC_WD40EFPX-68C6CN0_WD-NEWDISK');
    expect(added.exitCode).toBe(0);
    expect(added.hardware.pools[0].disks).toEqual(['sda', 'sdb']);
    expect(simulatedShell(added.hardware, 'zpool list -H -o name,size,health tank').output).toBe('tank\t4.5T\tONLINE\n');
    expect(simulatedShell(added.hardware, 'zpool status tank').output).toContain('state: ONLINE');
    expect(simulatedShell(added.hardware, 'zpool add tank /dev/sdb')).toMatchObject({ exitCode: 1, output: "/dev/sdb is part of active pool 'tank'\n" });
    expect(simulatedShell(hw, 'zpool add tank /dev/sdz')).toMatchObject({ exitCode: 1, output: expect.stringContaining("cannot open '/dev/sdz'") });
    expect(simulatedShell(hw, 'zpool status nope')).toMatchObject({ exitCode: 1, output: "cannot open 'nope': no such pool\n" });
  });

  it('fails unknown commands and shell syntax like a shell would, and never runs anything', () => {
    expect(simulatedShell(defaultHardware('n'), 'rm -rf /')).toEqual({ exitCode: 127, output: 'sh: 1: rm: not found\n', hardware: defaultHardware('n') });
    expect(simulatedShell(defaultHardware('n'), 'lsblk | grep sdb').exitCode).toBe(2);
  });

  it('reads the model from the node annotation and names a malformed one', () => {
    expect(hardwareOf('n', {})).toEqual(defaultHardware('n'));
    expect(hardwareOf('n', { [HARDWARE_ANNOTATION]: JSON.stringify(fitted()) })).toEqual(fitted());
    expect(() => hardwareOf('n', { [HARDWARE_ANNOTATION]: '{' })).toThrow(`node n: annotation ${HARDWARE_ANNOTATION} is not JSON`);
    expect(() => parseDiskSize('4 tera')).toThrow('disk size "4 tera": write it like 4T or 500G');
    expect(() => withDisk(fitted(), { sizeBytes: 1, serial: 'WD-NEWDISK' })).toThrow('a disk with serial WD-NEWDISK is already fitted');
  });
});
