import { describe, expect, it } from 'vitest';
import { CONTROLLER_FOLDERS, loadControllers } from './manager.js';

describe('loadControllers', () => {
  it('loads every controller folder that has a controller.ts and skips the others', async () => {
    const names = (await loadControllers()).map((c) => c.name);
    expect(names).toContain('modelserver');
    for (const n of names) expect(CONTROLLER_FOLDERS).toContain(n);
  });

  it('loads only the named controllers', async () => {
    expect((await loadControllers(['modelserver'])).map((c) => c.name)).toEqual(['modelserver']);
  });

  it('names the problem for unknown controllers', async () => {
    await expect(loadControllers(['modelservers'])).rejects.toThrow('unknown controller "modelservers"; known: modelserver, lanepolicy, agentrun, flow, hardwaretask');
  });

  it('says a kind has no controller yet rather than starting without it', async () => {
    await expect(loadControllers(['modelserver', 'agentrun'])).rejects.toThrow('no agentrun controller in this version: its CRD is served and validated, but nothing reconciles it yet');
  });
});
