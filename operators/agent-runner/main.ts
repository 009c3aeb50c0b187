// Entrypoint of the image ghcr.io/agentlab/agent-runner: reads the environment and the run
// config, runs the agent, writes the termination message and exits with the outcome's code
// (docs/agents.md, "Runner"). stdout carries only JSON event lines.
import { readFile, writeFile } from 'node:fs/promises';
import { KubeClient } from '../runtime/kube.js';
import { ConfigError, ENV, parseRunConfig, runnerEnv } from '../agentrun/runner/config.js';
import { routerModel } from '../agentrun/runner/model.js';
import { eventLine, exitCode, terminationMessage, type RunSummary } from '../agentrun/runner/output.js';
import { failure, finish, runAgent, toolsForConfig } from '../agentrun/runner/run.js';
import { REPORT_ENV, reportPayload, sendReport, tokenFromEnv } from '../agentrun/runner/report.js';

// The AI SDK prints provider warnings to the console; stdout is reserved for event lines.
(globalThis as { AI_SDK_LOG_WARNINGS?: boolean }).AI_SDK_LOG_WARNINGS = false;

async function main(): Promise<number> {
  // In a KubeVirt guest the token is a file on the Secret disk, never in cloud-init's user data.
  const fileToken = process.env[ENV.token]?.trim() ? undefined : await tokenFromEnv(process.env);
  if (fileToken) process.env[ENV.token] = fileToken;
  const token = process.env[ENV.token] ?? '';
  const secrets = token.trim() ? [token, token.trim()] : [];
  const terminationPath = process.env[ENV.terminationPath]?.trim() || '/dev/termination-log';
  const reportUrl = process.env[REPORT_ENV.url]?.trim();
  // Without a kubelet to read the log, the lines also go into the report.
  const lines: string[] = [];
  const write = (line: string) => {
    if (reportUrl) lines.push(line);
    process.stdout.write(line);
  };
  const cancel = new AbortController();
  // Repeated SIGTERMs change nothing (the first one started the stop); the default action would kill us before the message is written.
  process.on('SIGTERM', () => cancel.abort());

  let summary: RunSummary;
  try {
    const env = runnerEnv(process.env);
    const text = await readFile(env.configPath, 'utf8').catch((e: NodeJS.ErrnoException) => {
      throw new ConfigError(`${env.configPath}: cannot read the run config (${e.code ?? e.message}); it is the ConfigMap <run>-config mounted at /agentlab/run`);
    });
    const config = parseRunConfig(text, env.configPath);
    // In the pod: the run's ServiceAccount (in-cluster config), mounted only when the kubernetes tool is listed.
    // client-node (about 0.6 s of CPU to load) is imported only then: most runs never talk to the API.
    // Then only KubeConfig's own module, without the generated API (operators/cli/slim-imports.ts;
    // compiled only, as bin/agentlab.js does: the hook's module is JavaScript).
    const tools = await toolsForConfig(config, env, async () => {
      if (import.meta.url.endsWith('.js')) (await import('../cli/slim-imports.js')).registerSlimImports();
      const { KubeConfig } = await import('@kubernetes/client-node/dist/config.js');
      const kc = new KubeConfig();
      kc.loadFromDefault();
      return new KubeClient(kc, { maxSockets: 4 });
    });
    if ('failure' in tools) {
      summary = tools.failure;
      finish(summary, (e) => write(eventLine(e, secrets)), 0);
    } else {
      summary = await runAgent(config, { model: routerModel(env.routerUrl, env.token, config.model), tools: tools.tools, write, secrets, cancel: cancel.signal });
    }
  } catch (e) {
    summary = e instanceof ConfigError ? failure('ConfigError', e.message) : failure('RunnerError', (e as Error)?.message ?? String(e));
    finish(summary, (ev) => write(eventLine(ev, secrets)), 0);
  }
  try {
    await writeFile(terminationPath, terminationMessage(summary, secrets));
  } catch (e) {
    process.stderr.write(`agent-runner: cannot write the termination message to ${terminationPath}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}\n`);
  }
  if (reportUrl) {
    const sent = await sendReport(reportUrl, token.trim(), reportPayload(summary, lines, secrets));
    if (!sent.ok) process.stderr.write(`agent-runner: the report to ${reportUrl} was not stored: ${sent.detail}\n`);
  }
  return exitCode(summary);
}

main().then(
  (code) => process.stdout.write('', () => process.exit(code)),
  (e: unknown) => {
    process.stderr.write(`agent-runner: ${(e as Error)?.stack ?? String(e)}\n`);
    process.exit(1);
  },
);
