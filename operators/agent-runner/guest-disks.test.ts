import { describe, expect, it } from 'vitest';
import { GUEST_RUN_DIR, GUEST_TOKEN_DIR, GUEST_WORKSPACE, RUN_DISK_SERIAL, TOKEN_DISK_SERIAL } from '../agentrun/kubevirt.js';
import { diskAction, guestDisks, guestWorkspace, missingDetail, mountArgs, prepareProblem } from './guest-disks.js';

describe('guestDisks', () => {
  it('defaults to where the controller\'s cloud-init mounts the disks', () => {
    const [token, config] = guestDisks({});
    expect(token).toMatchObject({ serial: TOKEN_DISK_SERIAL, device: `/dev/disk/by-id/virtio-${TOKEN_DISK_SERIAL}`, dir: GUEST_TOKEN_DIR, file: `${GUEST_TOKEN_DIR}/token`, required: true });
    expect(config).toMatchObject({ serial: RUN_DISK_SERIAL, device: `/dev/disk/by-id/virtio-${RUN_DISK_SERIAL}`, dir: GUEST_RUN_DIR, file: `${GUEST_RUN_DIR}/run.json`, required: false });
    expect(guestWorkspace({})).toBe(GUEST_WORKSPACE);
  });

  it('follows the runner\'s environment for the files (the disk is mounted at the file\'s directory)', () => {
    const [token, config] = guestDisks({ AGENTLAB_ROUTER_TOKEN_FILE: '/srv/t/token', AGENTLAB_RUN_CONFIG: ' /srv/c/run.json ', AGENTLAB_WORKSPACE: '/w' });
    expect([token.dir, token.file, config.dir, config.file]).toEqual(['/srv/t', '/srv/t/token', '/srv/c', '/srv/c/run.json']);
    expect(guestWorkspace({ AGENTLAB_WORKSPACE: '/w' })).toBe('/w');
    expect(mountArgs(token)).toEqual(['-o', 'ro', `/dev/disk/by-id/virtio-${TOKEN_DISK_SERIAL}`, '/srv/t']);
  });
});

describe('diskAction', () => {
  it.each([
    [{ fileReadable: true, devicePresent: true }, 'ready'],
    [{ fileReadable: true, devicePresent: false }, 'ready'],
    [{ fileReadable: false, devicePresent: true }, 'mount'],
    [{ fileReadable: false, devicePresent: false }, 'missing'],
  ] as const)('%o -> %s', (seen, action) => expect(diskAction(seen)).toBe(action));
});

describe('prepareProblem', () => {
  const [token, config] = guestDisks({});
  it('lets the runner start without its run config (it reports ConfigError itself), never without the token', () => {
    expect(prepareProblem([{ disk: token, fileReadable: true }, { disk: config, fileReadable: false, detail: missingDetail.notAttached(config) }])).toBeUndefined();
    const problem = prepareProblem([{ disk: token, fileReadable: false, detail: missingDetail.notAttached(token) }, { disk: config, fileReadable: true }]);
    expect(problem).toContain(`${GUEST_TOKEN_DIR}/token: the run's router token (Secret <run>-router-token) is not there`);
    expect(problem).toContain(`the disk with serial ${TOKEN_DISK_SERIAL} is not attached (no /dev/disk/by-id/virtio-${TOKEN_DISK_SERIAL})`);
    expect(problem).toContain(`spec.domain.devices.disks with serial ${TOKEN_DISK_SERIAL}`);
  });

  it('says how mounting failed, and when the disk holds no token', () => {
    expect(prepareProblem([{ disk: token, fileReadable: false, detail: missingDetail.mountFailed(token, 'exit code 32: wrong fs type') }]))
      .toContain(`could not be mounted at ${GUEST_TOKEN_DIR} (mount -o ro /dev/disk/by-id/virtio-${TOKEN_DISK_SERIAL} ${GUEST_TOKEN_DIR}: exit code 32: wrong fs type)`);
    expect(prepareProblem([{ disk: token, fileReadable: false, detail: missingDetail.empty(token) }])).toContain(`is mounted at ${GUEST_TOKEN_DIR} but holds no token`);
  });
});
