// The step-runner image as the node simulator runs it. The run-commands and collect-commands roles
// (HardwareTask check and command steps) answer its commands from the node's simulated hardware (hardware.ts) instead
// of running them on this machine; every other role is the real entrypoint.
// The simulated-hardware modules (and the Kubernetes client) load only for the roles that use them:
// importing them costs ~1.3 s of CPU a process, and every tool pod starts two or three of these.

// collect-commands follows a step's own image, which the simulator does not run (any image but
// the project's succeeds at once as an init container): the collector answers the same commands
// from the simulated hardware, as that image would have on the node.
if (process.env.AGENTLAB_STEP_ROLE === 'run-commands' || process.env.AGENTLAB_STEP_ROLE === 'collect-commands') {
  const terminationPath = process.env.AGENTLAB_TERMINATION_MESSAGE_PATH ?? '/dev/termination-log';
  const node = process.env.AGENTLAB_NODE_NAME ?? '';
  const run = async (): Promise<number> => {
    if (!node) throw new Error('AGENTLAB_NODE_NAME is empty: the pod must set it from spec.nodeName (downward API)');
    const [{ KubeConfig }, { runCommandsRole }, { hardwareNodeClient }, { simulatedShell }] = await Promise.all([
      import('@kubernetes/client-node'), import('../../operators/step-runner/commands.js'), import('./hardware-node.js'), import('./hardware.js'),
    ]);
    // The node's hardware is the simulator's business, read with its own credentials (not the pod's).
    const kc = new KubeConfig();
    kc.loadFromFile(process.env.AGENTLAB_SIM_KUBECONFIG ?? '');
    const nodes = hardwareNodeClient(kc);
    return runCommandsRole(process.env, async (line) => {
      const hw = await nodes.read(node);
      const r = simulatedShell(hw, line);
      if (r.hardware !== hw) await nodes.write(node, r.hardware);
      return { exitCode: r.exitCode, output: r.output };
    }, terminationPath);
  };
  run().then((code) => process.exit(code), (err: unknown) => {
    process.stderr.write(`step-runner (simulated node): ${(err as Error).message}\n`);
    process.exit(1);
  });
} else {
  await import('../../operators/step-runner/main.js');
}
