import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { collectedMessage, readOutputs, stageInputs, stepDirs } from './step.js';

describe('step runner', () => {
  it('uses AGENTLAB_STEP_DIR when mounted, else a folder under $HOME', async () => {
    const home = await mkdtemp(path.join(os.tmpdir(), 'step-'));
    expect(stepDirs({ AGENTLAB_STEP_DIR: home })).toEqual({ root: home, inputs: `${home}/inputs`, outputs: `${home}/outputs`, fallback: false });
    expect(stepDirs({ AGENTLAB_STEP_DIR: '/no/such/dir', HOME: home })).toMatchObject({ root: `${home}/agentlab`, fallback: true });
  });

  it('stages $INPUT_<NAME> as files and reads the declared outputs back', async () => {
    const dirs = stepDirs({ AGENTLAB_STEP_DIR: await mkdtemp(path.join(os.tmpdir(), 'step-')) });
    await stageInputs({ AGENTLAB_INPUT_NAMES: '["pageUrl"]', INPUT_PAGEURL: 'https://x' }, dirs);
    expect(await readFile(path.join(dirs.inputs, 'pageUrl'), 'utf8')).toBe('https://x');
    await writeFile(path.join(dirs.outputs, 'a'), '1\n');
    expect(await readOutputs([{ name: 'a' }, { name: 'b' }], dirs)).toEqual({ a: '1\n', b: undefined });
  });

  it('returns outputs as JSON, or an error naming missing files and outputs too large for the termination message', () => {
    expect(collectedMessage([{ name: 'a' }], { a: '1' })).toEqual({ ok: true, message: '{"outputs":{"a":"1"}}' });
    expect(collectedMessage([{ name: 'a' }, { name: 'b' }], { a: '1' })).toEqual({ ok: false, message: JSON.stringify({ error: 'the tool wrote no /agentlab/outputs/b (declared output b)' }) });
    const big = collectedMessage([{ name: 'a' }], { a: 'x'.repeat(5000) });
    expect(big.ok).toBe(false);
    expect(JSON.parse(big.message).error).toContain('a tool node returns at most 4096 bytes');
    expect(Buffer.byteLength(big.message)).toBeLessThanOrEqual(4096);
  });
});
