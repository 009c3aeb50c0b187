import { describe, expect, it } from 'vitest';
import { ConfigError, DEFAULT_LIMITS, localTools, parseRunConfig, runnerEnv } from './config.js';

const base = { run: { namespace: 'ns', name: 'r', uid: 'u' }, model: 'default', task: 'do it', tools: [] };
const parse = (v: unknown) => parseRunConfig(JSON.stringify(v), '/agentlab/run/run.json');

describe('parseRunConfig', () => {
  it('applies the CRD defaults for limits left out and keeps prompts out of the transcript by default', () => {
    expect(parse(base)).toEqual({ ...base, limits: DEFAULT_LIMITS, transcript: { includePrompts: false } });
    expect(parse({ ...base, systemPrompt: 'sys', limits: { maxTurns: 3 }, transcript: { includePrompts: true } })).toMatchObject({ systemPrompt: 'sys', limits: { maxTurns: 3, maxTokens: 200_000, timeoutSeconds: 1800 }, transcript: { includePrompts: true } });
  });

  it.each([
    ['{', /run\.json: not valid JSON/],
    [JSON.stringify([]), /run\.json: \(root\): must be a JSON object/],
    [JSON.stringify({ ...base, run: undefined }), /run\.json: run: must be an object/],
    [JSON.stringify({ ...base, run: { namespace: 'ns', name: '', uid: 'u' } }), /run\.json: run\.name: must be a non-empty string/],
    [JSON.stringify({ ...base, model: 3 }), /run\.json: model: must be a non-empty string/],
    [JSON.stringify({ ...base, task: '' }), /run\.json: task: must be a non-empty string/],
    [JSON.stringify({ ...base, tools: {} }), /run\.json: tools: must be a list/],
    [JSON.stringify({ ...base, tools: [{ files: {} }] }), /run\.json: tools\[0\]\.name: must be a non-empty string/],
    [JSON.stringify({ ...base, limits: { maxTokens: 1.5 } }), /run\.json: limits\.maxTokens: must be a positive integer, got 1\.5/],
    [JSON.stringify({ ...base, limits: { timeoutSeconds: '30m' } }), /run\.json: limits\.timeoutSeconds: must be a positive integer, got "30m"/],
    [JSON.stringify({ ...base, transcript: { includePrompts: 'yes' } }), /run\.json: transcript\.includePrompts: must be true or false/],
  ])('refuses %s naming the file and field', (text, message) => {
    expect(() => parseRunConfig(text, '/agentlab/run/run.json')).toThrow(ConfigError);
    expect(() => parseRunConfig(text, '/agentlab/run/run.json')).toThrow(message);
  });
});

describe('runnerEnv', () => {
  const env = { AGENTLAB_ROUTER_URL: 'http://agentlab-router.agentlab-system.svc:8080/', AGENTLAB_ROUTER_TOKEN: 'tok' };
  it('reads the variables the controller sets, with the pod paths as defaults', () => {
    expect(runnerEnv(env)).toEqual({ routerUrl: 'http://agentlab-router.agentlab-system.svc:8080', token: 'tok', configPath: '/agentlab/run/run.json', workspace: '/workspace', terminationPath: '/dev/termination-log', mounts: {} });
    expect(runnerEnv({ ...env, AGENTLAB_EGRESS_PROXY: 'http://r:8080', AGENTLAB_WORKSPACE: '/w', AGENTLAB_TERMINATION_MESSAGE_PATH: '/t' })).toMatchObject({ egressProxy: 'http://r:8080', workspace: '/w', terminationPath: '/t' });
  });

  it('names a missing or malformed variable without printing the token', () => {
    expect(() => runnerEnv({ AGENTLAB_ROUTER_URL: env.AGENTLAB_ROUTER_URL })).toThrow(/AGENTLAB_ROUTER_TOKEN is not set/);
    expect(() => runnerEnv({ ...env, AGENTLAB_ROUTER_URL: 'router:8080' })).toThrow(/AGENTLAB_ROUTER_URL="router:8080": must be an http:\/\/ or https:\/\/ URL/);
    expect(() => runnerEnv({ ...env, AGENTLAB_ROUTER_URL: 'not a url' })).toThrow(/AGENTLAB_ROUTER_URL="not a url": not a URL/);
    expect(() => runnerEnv({ ...env, AGENTLAB_SIM_MOUNTS: '{"workspace":"/tmp/w"}' })).toThrow(/AGENTLAB_SIM_MOUNTS: expected a JSON object of absolute mount paths/);
  });

  it("translates the files tool's paths through the node simulator's mounts", () => {
    const { mounts } = runnerEnv({ ...env, AGENTLAB_SIM_MOUNTS: JSON.stringify({ '/workspace': '/tmp/sim/w', '/data': '/tmp/sim/d' }) });
    const tools = localTools([{ name: 'files', files: { paths: ['/workspace', '/data/in', '/etc', '/workspaces'] } }, { name: 'shell', shell: { allowCommands: ['ls'] } }], mounts);
    expect(tools).toEqual([{ name: 'files', files: { paths: ['/tmp/sim/w', '/tmp/sim/d/in', '/etc', '/workspaces'] } }, { name: 'shell', shell: { allowCommands: ['ls'] } }]);
  });
});
