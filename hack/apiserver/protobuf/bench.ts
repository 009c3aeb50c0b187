/**
 * Decode throughput for the real kubectl bodies in testdata/. Prints figures; asserts nothing.
 * Run: npx tsx hack/apiserver/protobuf/bench.ts
 */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { decodeProtobufObject } from './index.js';

const dir = path.join(import.meta.dirname, 'testdata');
const ITERATIONS = 20_000;

for (const file of readdirSync(dir).filter((f) => f.endsWith('.pb')).sort()) {
  const body = readFileSync(path.join(dir, file));
  for (let i = 0; i < 1000; i++) decodeProtobufObject(body);
  const start = process.hrtime.bigint();
  for (let i = 0; i < ITERATIONS; i++) decodeProtobufObject(body);
  const ns = Number(process.hrtime.bigint() - start) / ITERATIONS;
  console.log(`${file.padEnd(30)} ${String(body.length).padStart(5)} B  ${(ns / 1000).toFixed(1).padStart(7)} µs/decode  ${Math.round(1e9 / ns).toLocaleString('en-US').padStart(9)} decodes/s`);
}
