import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { missingDevParts } from './dev-cluster.js';

describe('missingDevParts', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'agentlab-devparts-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('finds nothing missing in this clone', () => {
    expect(missingDevParts()).toEqual([]);
  });

  it('names hack/ modules an installation without them lacks (the image), in .ts or built .js', () => {
    const root = pathToFileURL(`${dir}/`);
    expect(missingDevParts(root)).toEqual(['hack/apiserver/index', 'hack/nodesim/index']);
    mkdirSync(path.join(dir, 'hack', 'apiserver'), { recursive: true });
    writeFileSync(path.join(dir, 'hack', 'apiserver', 'index.js'), '');
    expect(missingDevParts(root)).toEqual(['hack/nodesim/index']);
  });
});
