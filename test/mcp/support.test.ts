import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { personKubeconfig } from './support.js';

// The existing-cluster backend may be given a kubeconfig whose certificate paths are relative to
// its own folder (as kind and minikube write them); the person's copy lives elsewhere.
describe('personKubeconfig', () => {
  it('keeps relative certificate and key paths pointing at the original files', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'agentlab-kc-'));
    mkdirSync(path.join(dir, 'pki'));
    for (const f of ['ca.crt', 'client.crt', 'client.key']) writeFileSync(path.join(dir, 'pki', f), 'x');
    const original = path.join(dir, 'config');
    writeFileSync(original, [
      'apiVersion: v1', 'kind: Config', 'current-context: c',
      'clusters: [{name: c, cluster: {server: "https://127.0.0.1:6443", certificate-authority: pki/ca.crt}}]',
      'users: [{name: u, user: {client-certificate: pki/client.crt, client-key: ./pki/client.key}}]',
      'contexts: [{name: c, context: {cluster: c, user: u}}]', '',
    ].join('\n'));
    const copy = parse(readFileSync(personKubeconfig(original, 'carol'), 'utf8'));
    const ca = copy.clusters[0].cluster['certificate-authority'];
    const { user } = copy.users[0];
    expect([ca, user['client-certificate'], user['client-key']]).toEqual(['ca.crt', 'client.crt', 'client.key'].map((f) => path.join(dir, 'pki', f)));
    expect(existsSync(ca)).toBe(true);
    expect(user.as).toBe('carol');
  });
});
