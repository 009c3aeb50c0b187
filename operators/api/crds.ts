import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CORE_SCHEMA, load } from 'js-yaml';
import { GROUP, KINDS, VERSION } from './constants.js';

/** The crds/ folder: the single source of truth for the AgentLab API. */
export const CRD_DIR = fileURLToPath(new URL('../../crds/', import.meta.url));

/** JSON Schema as used by apiextensions.k8s.io/v1 (JSONSchemaProps), loosely typed. */
export interface JSONSchemaProps {
  type?: string;
  description?: string;
  properties?: Record<string, JSONSchemaProps>;
  items?: JSONSchemaProps;
  additionalProperties?: JSONSchemaProps | boolean;
  required?: string[];
  enum?: unknown[];
  default?: unknown;
  maxItems?: number;
  maxLength?: number;
  maxProperties?: number;
  pattern?: string;
  format?: string;
  anyOf?: JSONSchemaProps[];
  'x-kubernetes-list-type'?: 'atomic' | 'set' | 'map';
  'x-kubernetes-list-map-keys'?: string[];
  'x-kubernetes-int-or-string'?: boolean;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-embedded-resource'?: boolean;
  'x-kubernetes-validations'?: { rule: string; message?: string; fieldPath?: string; reason?: string }[];
  [key: string]: unknown;
}

export interface CustomResourceDefinition {
  apiVersion: 'apiextensions.k8s.io/v1';
  kind: 'CustomResourceDefinition';
  metadata: { name: string; labels?: Record<string, string> };
  spec: {
    group: string;
    scope: 'Namespaced' | 'Cluster';
    names: { kind: string; listKind: string; plural: string; singular: string; shortNames?: string[]; categories?: string[] };
    versions: {
      name: string;
      served: boolean;
      storage: boolean;
      schema: { openAPIV3Schema: JSONSchemaProps };
      subresources?: { status?: object; scale?: { specReplicasPath: string; statusReplicasPath: string; labelSelectorPath?: string } };
      additionalPrinterColumns?: { name: string; type: string; jsonPath: string; description?: string; priority?: number }[];
    }[];
  };
}

/** Returns the raw YAML of every CRD file, sorted by file name, for printing as they are. */
export function readCrdFiles(dir: string = CRD_DIR): { file: string; text: string }[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f) => ({ file: join(dir, f), text: readFileSync(join(dir, f), 'utf8') }));
}

/**
 * Loads every CRD in crds/, sorted by file name. Throws with the file name when one does not parse.
 *
 * js-yaml with the YAML 1.2 core schema, the one `yaml` uses by default (crds.test.ts checks that
 * both give the same objects): it parses the 180 KB of CRDs about five times faster, and
 * `agentlab validate` needs no source positions for them (docs/adr/0019).
 */
export function loadCrds(dir: string = CRD_DIR): CustomResourceDefinition[] {
  return readCrdFiles(dir).map(({ file, text }) => {
    try {
      return load(text, { schema: CORE_SCHEMA }) as CustomResourceDefinition;
    } catch (err) {
      throw new Error(`${file}: ${(err as Error).message}`);
    }
  });
}

/** The served v1alpha1 openAPIV3Schema of an AgentLab kind, or undefined for any other kind. */
export function schemaForKind(crds: CustomResourceDefinition[], apiVersion: string, kind: string): JSONSchemaProps | undefined {
  if (apiVersion !== `${GROUP}/${VERSION}`) return undefined;
  const crd = crds.find((c) => c.spec.group === GROUP && c.spec.names.kind === kind);
  return crd?.spec.versions.find((v) => v.name === VERSION && v.served)?.schema.openAPIV3Schema;
}

/** True when the kind is one of the five AgentLab kinds. */
export function isAgentLabKind(kind: string): kind is keyof typeof KINDS {
  return Object.hasOwn(KINDS, kind);
}
