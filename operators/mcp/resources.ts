import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CustomResourceDefinition } from '../api/crds.js';
import { explainCrd } from './schema-doc.js';

export const EXAMPLES_DIR = fileURLToPath(new URL('../../examples/', import.meta.url));

export const schemaUri = (kind: string) => `agentlab://schema/${kind}`;
export const exampleUri = (file: string) => `agentlab://examples/${file}`;

/**
 * Each kind's documented schema (kubectl explain, every field with its description) and every
 * example, so a model can read what a valid object looks like before it writes one.
 */
export function registerResources(server: McpServer, crds: CustomResourceDefinition[], examplesDir = EXAMPLES_DIR): void {
  for (const crd of crds) {
    const kind = crd.spec.names.kind;
    const text = explainCrd(crd);
    server.registerResource(`schema-${kind}`, schemaUri(kind), {
      title: `${kind} schema`,
      description: `kubectl explain ${crd.spec.names.plural} --recursive, with every field's description, type, default, enum and validation rules`,
      mimeType: 'text/plain',
    }, async (uri) => ({ contents: [{ uri: uri.href, mimeType: 'text/plain', text }] }));
  }
  for (const file of readdirSync(examplesDir).filter((f) => /\.ya?ml$/.test(f)).sort()) {
    const path = join(examplesDir, file);
    server.registerResource(`example-${file.replace(/\.ya?ml$/, '')}`, exampleUri(file), {
      title: `Example ${file}`,
      description: `examples/${file}: a realistic resource, applied by the project's tests`,
      mimeType: 'application/yaml',
    }, async (uri) => ({ contents: [{ uri: uri.href, mimeType: 'application/yaml', text: readFileSync(path, 'utf8') }] }));
  }
}
