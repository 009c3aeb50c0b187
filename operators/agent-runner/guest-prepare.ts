// ExecStartPre of agentlab-runner.service in the agent-runner-disk guest
// (images/agent-runner-disk/agentlab-runner.service): makes sure the token and run-config disks
// are mounted where the runner's environment says their files are (cloud-init's runcmd normally
// did it already), creates the workspace, and exits 1, naming the disk, when the router token is
// not there (the runner could neither call a model nor report). Logs JSON to stderr, which the
// unit sends to the journal and the serial console; never a file's content.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import pino from 'pino';
import { diskAction, guestDisks, guestWorkspace, missingDetail, mountArgs, prepareProblem, type GuestDisk } from './guest-disks.js';

const log = pino({ name: 'agentlab-guest-prepare' }, pino.destination(2));

const hasContent = async (file: string) => (await readFile(file, 'utf8').catch(() => '')).trim() !== '';

/** Waits for udev to have created the by-id links, when udevadm is there (it is in the guest). */
function udevSettle(): void {
  spawnSync('udevadm', ['settle', '--timeout=10'], { stdio: 'ignore' });
}

async function prepareDisk(disk: GuestDisk): Promise<{ disk: GuestDisk; fileReadable: boolean; detail?: string }> {
  const fields = { serial: disk.serial, device: disk.device, dir: disk.dir };
  let action = diskAction({ fileReadable: await hasContent(disk.file), devicePresent: existsSync(disk.device) });
  if (action === 'missing') {
    udevSettle();
    action = diskAction({ fileReadable: false, devicePresent: existsSync(disk.device) });
  }
  if (action === 'ready') {
    log.info(fields, `${disk.file} is there`);
    return { disk, fileReadable: true };
  }
  if (action === 'missing') {
    log[disk.required ? 'error' : 'warn'](fields, `no disk with serial ${disk.serial}: ${disk.file} (${disk.what}) is missing`);
    return { disk, fileReadable: false, detail: missingDetail.notAttached(disk) };
  }
  await mkdir(disk.dir, { recursive: true });
  const mounted = spawnSync('mount', mountArgs(disk), { encoding: 'utf8' });
  if (mounted.error || mounted.status !== 0) {
    const detail = missingDetail.mountFailed(disk, mounted.error?.message ?? `exit code ${mounted.status}: ${mounted.stderr.trim()}`);
    log[disk.required ? 'error' : 'warn'](fields, `${disk.device} ${detail}`);
    return { disk, fileReadable: false, detail };
  }
  const fileReadable = await hasContent(disk.file);
  log[fileReadable ? 'info' : 'warn'](fields, fileReadable ? `mounted ${disk.device} at ${disk.dir}` : `mounted ${disk.device} at ${disk.dir}, but ${disk.file} is missing or empty`);
  return { disk, fileReadable, ...(fileReadable ? {} : { detail: missingDetail.empty(disk) }) };
}

async function main(): Promise<number> {
  const results = [];
  for (const disk of guestDisks(process.env)) results.push(await prepareDisk(disk));
  await mkdir(guestWorkspace(process.env), { recursive: true });
  const problem = prepareProblem(results);
  if (problem) {
    log.error(`the agent runner is not started: ${problem}`);
    return 1;
  }
  return 0;
}

main().then(
  (code) => log.flush(() => process.exit(code)),
  (e: unknown) => {
    process.stderr.write(`agentlab-guest-prepare: ${(e as Error)?.stack ?? String(e)}\n`);
    process.exit(1);
  },
);
