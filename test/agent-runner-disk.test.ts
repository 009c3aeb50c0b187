import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { cloudInitUserData, desiredVmi, GUEST_ENV_FILE, RUN_DISK_SERIAL, RUNNER_UNIT, TOKEN_DISK_SERIAL } from '../operators/agentrun/kubevirt.js';
import { desiredTokenSecret } from '../operators/agentrun/desired.js';
import { configMapName, RUN_CONFIG_KEY, tokenSecretName } from '../operators/agentrun/names.js';
import { ENV } from '../operators/agentrun/runner/config.js';
import { REPORT_ENV } from '../operators/agentrun/runner/report.js';
import type { AgentRun } from '../operators/agentrun/types.js';
import { guestDisks, guestWorkspace, mountArgs } from '../operators/agent-runner/guest-disks.js';
import { chain, stages } from './dockerfile.js';

// The KubeVirt containerDisk that carries the runner (Dockerfile target agent-runner-disk,
// images/agent-runner-disk/). No container engine or VM here: the Dockerfile and the guest's
// files are checked against what the AgentRun controller generates (operators/agentrun/kubevirt.ts),
// so that a drift between the disk and the controller fails here, and the guest's prepare step
// and the disk build script are run as far as they run without a VM.
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const DOCKERFILE = readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');
const DISK_FILES = path.join(ROOT, 'images', 'agent-runner-disk');
const UNIT_PATH = path.join(DISK_FILES, 'agentlab-runner.service');
const BUILD_SCRIPT = path.join(DISK_FILES, 'build-disk.sh');
const TARGET = 'agent-runner-disk';

/** A systemd unit file: section -> [key, value] in order (a key may repeat, e.g. Environment). */
function unitFile(text: string): Map<string, [string, string][]> {
  const out = new Map<string, [string, string][]>();
  let section = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith(';')) continue;
    const head = /^\[(.+)\]$/.exec(line);
    if (head) {
      section = head[1];
      out.set(section, out.get(section) ?? []);
      continue;
    }
    const eq = line.indexOf('=');
    if (eq < 0) throw new Error(`${UNIT_PATH}: not key=value: ${line}`);
    out.get(section)!.push([line.slice(0, eq).trim(), line.slice(eq + 1).trim()]);
  }
  return out;
}

const UNIT = unitFile(readFileSync(UNIT_PATH, 'utf8'));
const unitValues = (section: string, key: string) => (UNIT.get(section) ?? []).filter(([k]) => k === key).map(([, v]) => v);
const unitValue = (section: string, key: string) => unitValues(section, key).at(-1);

const run = {
  apiVersion: 'agentlab.dev/v1alpha1', kind: 'AgentRun',
  metadata: { name: 'triage', namespace: 'agents', uid: 'u-1' },
  // The http tool adds the egress proxy variable: every variable cloud-init can write is present.
  spec: { task: 'triage', runtime: { type: 'vm', vm: { engine: 'kubevirt' } }, tools: [{ name: 'http', http: { allowedHosts: ['example.org'] } }] },
} as unknown as AgentRun;
const limits = { maxTurns: 5, maxTokens: 1000, timeoutSeconds: 600, timeout: '10m' };
const ROUTER = 'http://agentlab-router.agentlab-system.svc:8080';

interface CloudConfig { write_files: { path: string; content: string }[]; runcmd: string[][]; power_state: { mode: string } }
const CLOUD = parse(cloudInitUserData(run, { routerUrl: ROUTER, http: true })) as CloudConfig;
const ENV_FILE = CLOUD.write_files.find((f) => f.path === GUEST_ENV_FILE);
/** The runner's environment as cloud-init writes it. */
const GUEST_ENV: Record<string, string> = Object.fromEntries((ENV_FILE?.content ?? '').split('\n').filter((l) => l.includes('=')).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));

describe('the agent-runner-disk target (Dockerfile)', () => {
  const all = stages(DOCKERFILE);
  const target = all.find((s) => s.name === TARGET);
  const build = all.find((s) => s.name === target?.lines.map((l) => /--from=(\S+)/.exec(l)?.[1]).find(Boolean));

  it('is a KubeVirt containerDisk: FROM scratch, one qcow2 under /disk/ owned by 107:107 (qemu)', () => {
    expect(target, `Dockerfile has no stage ${TARGET}`).toBeDefined();
    expect(target!.base).toBe('scratch');
    expect(target!.lines).toHaveLength(1);
    const copy = /^COPY\s+--from=(\S+)\s+--chown=107:107\s+(\/\S+\.qcow2)\s+\/disk\/$/.exec(target!.lines[0]);
    expect(copy, target!.lines[0]).not.toBeNull();
    expect(build, `stage ${copy![1]}`).toBeDefined();
    // The build stage writes that qcow2 (build-disk.sh's last argument) and leaves it readable to 107 only.
    const runs = build!.lines.filter((l) => l.startsWith('RUN '));
    expect(runs.some((l) => l.includes('/files/build-disk.sh ') && l.includes(` ${copy![2]} `) && l.includes(`chmod 0440 ${copy![2]}`))).toBe(true);
  });

  it('is not the default target: a plain `docker build .` still builds the operator', () => {
    expect(all.at(-1)?.name).toBe('operator');
  });

  it('boots a pinned Debian 12 cloud image whose SHA-512 the build checks', () => {
    const arg = (name: string) => build!.lines.map((l) => new RegExp(`^ARG\\s+${name}=(\\S+)$`).exec(l)?.[1]).find(Boolean);
    expect(build!.base).toBe('debian:bookworm');
    const url = arg('DEBIAN_CLOUD_IMAGE_URL');
    // A dated snapshot, never .../latest/: the checksum below is for exactly this file.
    expect(url).toMatch(/^https:\/\/cloud\.debian\.org\/images\/cloud\/bookworm\/(\d{8}-\d{4})\/debian-12-genericcloud-amd64-\1\.qcow2$/);
    expect(arg('DEBIAN_CLOUD_IMAGE_SHA512')).toMatch(/^[0-9a-f]{128}$/);
    const download = build!.lines.find((l) => l.includes('"$DEBIAN_CLOUD_IMAGE_URL"'));
    const base = /-o\s+(\S+)\s/.exec(download ?? '')?.[1];
    expect(base, 'the RUN line that downloads the image').toBeDefined();
    expect(build!.lines.some((l) => l.includes(`/files/build-disk.sh ${base} "$DEBIAN_CLOUD_IMAGE_SHA512" `))).toBe(true);
  });

  it('carries the agent-runner image\'s node and /app, and the files of images/agent-runner-disk', () => {
    expect(build!.lines).toEqual(expect.arrayContaining([
      'COPY --from=app /usr/local/bin/node /guest/usr/local/bin/node',
      'COPY --from=app /app /guest/opt/agentlab',
      'COPY images/agent-runner-disk /files',
    ]));
    const runner = all.find((s) => s.name === 'agent-runner')!;
    expect(chain(all, runner).map((s) => s.name)).toContain('app');
    const script = readFileSync(BUILD_SCRIPT, 'utf8');
    expect(script).toContain('--copy-in "$root/usr/local/bin/node:/usr/local/bin"');
    expect(script).toContain('--copy-in "$root/opt/agentlab:/opt"');
    expect(script).toContain('--copy-in "$files/agentlab-runner.service:/etc/systemd/system"');
  });
});

describe('build-disk.sh (run without libguestfs: the checks before it edits anything)', () => {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'agent-runner-disk-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));
  const guestRoot = path.join(tmp, 'guest');
  for (const f of ['usr/local/bin/node', 'opt/agentlab/operators/agent-runner/main.js', 'opt/agentlab/operators/agent-runner/guest-prepare.js']) {
    mkdirSync(path.dirname(path.join(guestRoot, f)), { recursive: true });
    writeFileSync(path.join(guestRoot, f), '');
  }
  const base = path.join(tmp, 'base.qcow2');
  writeFileSync(base, 'not the Debian image');
  const buildDisk = (args: string[]) => spawnSync('sh', [BUILD_SCRIPT, ...args], { encoding: 'utf8', timeout: 30_000 });

  it('refuses a base image without the pinned SHA-512, before touching it', () => {
    const pinned = createHash('sha512').update('the real image').digest('hex');
    const out = path.join(tmp, 'out', 'disk.qcow2');
    const r = buildDisk([base, pinned, guestRoot, DISK_FILES, '8G', out]);
    expect(r.status, r.stderr).toBe(1);
    expect(r.stderr).toContain(`${base} does not have the pinned SHA-512 (DEBIAN_CLOUD_IMAGE_SHA512)`);
    expect(readdirSync(path.dirname(out))).toEqual([]);
  });

  it('names a missing input, and says how it is called', () => {
    const r = buildDisk([base, 'x', path.join(tmp, 'empty-root'), DISK_FILES, '8G', path.join(tmp, 'out2', 'disk.qcow2')]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`${path.join(tmp, 'empty-root')}/usr/local/bin/node is missing`);
    const usage = buildDisk([base]);
    expect(usage.status).toBe(2);
    expect(usage.stderr).toContain('usage:');
  });
});

describe('agentlab-runner.service against the controller\'s cloud-init', () => {
  it('is the unit cloud-init starts, reading the environment file cloud-init writes', () => {
    expect(path.basename(UNIT_PATH)).toBe(RUNNER_UNIT);
    expect(CLOUD.runcmd).toContainEqual(['systemctl', 'start', '--wait', RUNNER_UNIT]);
    expect(ENV_FILE, `cloud-init writes ${GUEST_ENV_FILE}`).toBeDefined();
    expect(unitValues('Service', 'EnvironmentFile')).toEqual([GUEST_ENV_FILE]);
  });

  it('runs once when started, never at boot (before cloud-init wrote its environment), and powers the guest off when it ends', () => {
    expect(UNIT.has('Install')).toBe(false);
    expect(unitValue('Unit', 'SuccessAction')).toBe('poweroff');
    expect(unitValue('Unit', 'FailureAction')).toBe('poweroff');
    expect(unitValue('Service', 'Restart')).toBe('no');
    // A run may take hours: the controller's timeout deletes the VMI, systemd must not stop it first.
    expect(unitValue('Service', 'TimeoutStartSec')).toBe('infinity');
    expect(CLOUD.power_state.mode).toBe('poweroff');
    expect(unitValue('Service', 'StandardOutput')).toBe('journal+console');
  });

  it('runs the agent-runner image\'s entry point, with the node the disk carries, after the prepare step', () => {
    const entry = readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8').split('\n').map((l) => l.trim());
    const runnerStage = stages(entry.join('\n')).find((s) => s.name === 'agent-runner')!;
    const [, script] = JSON.parse(runnerStage.lines.find((l) => l.startsWith('ENTRYPOINT '))!.slice('ENTRYPOINT '.length)) as string[];
    expect(unitValue('Service', 'ExecStart')).toBe(`/usr/local/bin/node ${script.replace(/^\/app\//, '/opt/agentlab/')}`);
    expect(unitValue('Service', 'ExecStartPre')).toBe('/usr/local/bin/node /opt/agentlab/operators/agent-runner/guest-prepare.js');
    // The build stage compiles operators/**/*.ts (tsconfig.build.json) to the .js the unit names.
    for (const js of [script, '/app/operators/agent-runner/guest-prepare.js']) {
      expect(existsSync(path.join(ROOT, js.replace(/^\/app\//, '').replace(/\.js$/, '.ts'))), js).toBe(true);
    }
  });

  it('sets only variables the runner reads, and every variable cloud-init writes is one the runner or the prepare step reads', () => {
    const read = new Set<string>([...Object.values(ENV), ...Object.values(REPORT_ENV)]);
    for (const name of Object.keys(GUEST_ENV)) expect(read, name).toContain(name);
    expect(Object.keys(GUEST_ENV)).toEqual(expect.arrayContaining([REPORT_ENV.url, REPORT_ENV.tokenFile, ENV.config, ENV.routerUrl, ENV.workspace, ENV.egressProxy]));
    // No secret in user data: the token is read from its file.
    expect(Object.keys(GUEST_ENV)).not.toContain(ENV.token);
    const own = unitValues('Service', 'Environment').map((e) => e.slice(0, e.indexOf('=')));
    for (const name of own.filter((n) => n.startsWith('AGENTLAB_'))) expect(read, name).toContain(name);
    expect(own).toContain(ENV.terminationPath);
  });

  it('mounts each disk by serial where cloud-init mounts it, and the files the runner reads are the Secret\'s and ConfigMap\'s keys', () => {
    const disks = guestDisks(GUEST_ENV);
    const mounts = CLOUD.runcmd.filter((c) => c[0] === 'mount');
    expect(mounts).toEqual(disks.map((d) => ['mount', ...mountArgs(d)]));
    const mkdir = CLOUD.runcmd.find((c) => c[0] === 'mkdir')!;
    expect(mkdir).toEqual(expect.arrayContaining([...disks.map((d) => d.dir), guestWorkspace(GUEST_ENV)]));

    const vmi = desiredVmi(run, { limits, routerUrl: ROUTER, hostDevices: [] }) as unknown as {
      spec: { domain: { devices: { disks: { name: string; serial?: string }[] } }; volumes: { name: string; secret?: { secretName: string }; configMap?: { name: string } }[] };
    };
    const bySerial = (serial: string) => {
      const disk = vmi.spec.domain.devices.disks.find((d) => d.serial === serial);
      return vmi.spec.volumes.find((v) => v.name === disk?.name);
    };
    expect(vmi.spec.domain.devices.disks.filter((d) => d.serial).map((d) => d.serial).sort()).toEqual(disks.map((d) => d.serial).sort());
    const [token, config] = disks;
    expect(token.serial).toBe(TOKEN_DISK_SERIAL);
    expect(bySerial(TOKEN_DISK_SERIAL)?.secret?.secretName).toBe(tokenSecretName('triage'));
    const secret = desiredTokenSecret(run, 'x', { lane: 'default', limits }) as unknown as { data: Record<string, string> };
    expect(Object.keys(secret.data)).toContain(path.posix.basename(token.file));
    expect(config.serial).toBe(RUN_DISK_SERIAL);
    expect(bySerial(RUN_DISK_SERIAL)?.configMap?.name).toBe(configMapName('triage'));
    expect(path.posix.basename(config.file)).toBe(RUN_CONFIG_KEY);
  });
});

describe('guest-prepare (the unit\'s ExecStartPre), run against directories standing in for the mounted disks', () => {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'agent-runner-guest-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));
  const TOKEN = 'tok-3f9c2a-not-for-logs';

  /** cloud-init's environment with its guest paths moved under a directory of this test. */
  function guest(name: string, files: { token?: string; config?: string }) {
    const root = path.join(tmp, name);
    const env = Object.fromEntries(Object.entries(GUEST_ENV).map(([k, v]) => [k, v.startsWith('/') ? path.join(root, v) : v]));
    const [token, config] = guestDisks(env);
    mkdirSync(token.dir, { recursive: true });
    mkdirSync(config.dir, { recursive: true });
    if (files.token !== undefined) writeFileSync(token.file, files.token);
    if (files.config !== undefined) writeFileSync(config.file, files.config);
    const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'operators', 'agent-runner', 'guest-prepare.ts')], {
      cwd: ROOT, encoding: 'utf8', timeout: 60_000,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env },
    });
    const lines = r.stderr.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { level: number; msg: string; serial?: string });
    return { r, lines, env };
  }

  it('finds the disks cloud-init mounted, creates the workspace and lets the runner start', () => {
    const { r, lines, env } = guest('mounted', { token: `${TOKEN}\n`, config: '{}' });
    expect(r.status, r.stderr).toBe(0);
    expect(lines.map((l) => [l.serial, l.msg])).toEqual([
      [TOKEN_DISK_SERIAL, `${env[REPORT_ENV.tokenFile]} is there`],
      [RUN_DISK_SERIAL, `${env[ENV.config]} is there`],
    ]);
    expect(existsSync(env[ENV.workspace])).toBe(true);
    expect(r.stdout + r.stderr).not.toContain(TOKEN);
  });

  it('lets the runner start without its run config (the runner reports ConfigError to the router itself)', () => {
    expect(existsSync(`/dev/disk/by-id/virtio-${RUN_DISK_SERIAL}`)).toBe(false);
    const { r, lines } = guest('no-config', { token: TOKEN });
    expect(r.status, r.stderr).toBe(0);
    expect(lines.find((l) => l.serial === RUN_DISK_SERIAL)?.msg).toContain(`no disk with serial ${RUN_DISK_SERIAL}`);
  });

  it('does not start the runner without the router token, and says which disk is missing', () => {
    expect(existsSync(`/dev/disk/by-id/virtio-${TOKEN_DISK_SERIAL}`)).toBe(false);
    for (const [name, token] of [['no-token', undefined], ['empty-token', '  \n']] as const) {
      const { r, lines, env } = guest(name, { token, config: '{}' });
      expect(r.status, r.stderr).toBe(1);
      const last = lines.at(-1)!;
      expect(last.level).toBe(50);
      expect(last.msg).toContain(`the agent runner is not started: ${env[REPORT_ENV.tokenFile]}: the run's router token (Secret <run>-router-token) is not there`);
      expect(last.msg).toContain(`the disk with serial ${TOKEN_DISK_SERIAL} is not attached (no /dev/disk/by-id/virtio-${TOKEN_DISK_SERIAL})`);
    }
  });
});
