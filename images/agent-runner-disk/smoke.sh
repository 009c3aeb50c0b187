#!/bin/sh
# Run inside the customized guest at build time (virt-customize --run, in a chroot of the disk):
# Node.js starts there, the runner's modules load, and the unit is one systemd accepts.
set -eu
/usr/local/bin/node --version
# Without its run config the runner writes a ConfigError termination message naming the file
# (as in test/image-layout.test.ts), so its whole module graph loaded.
t=$(mktemp)
rc=0
AGENTLAB_RUN_CONFIG=/nonexistent/run.json AGENTLAB_ROUTER_URL=http://127.0.0.1:9 AGENTLAB_ROUTER_TOKEN=smoke \
  AGENTLAB_TERMINATION_MESSAGE_PATH="$t" /usr/local/bin/node /opt/agentlab/operators/agent-runner/main.js >/dev/null || rc=$?
[ "$rc" -eq 1 ] && grep -q '"reason":"ConfigError"' "$t" || { echo "smoke: the runner did not start (exit code $rc): $(cat "$t")" >&2; exit 1; }
rm -f "$t"
/usr/local/bin/node --input-type=module -e "await import('/opt/agentlab/operators/agent-runner/guest-disks.js')"
systemd-analyze verify /etc/systemd/system/agentlab-runner.service
echo "smoke: ok"
