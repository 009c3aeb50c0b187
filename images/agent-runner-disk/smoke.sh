#!/bin/sh
# Run inside the customized guest at build time (virt-customize --run, in a chroot of the disk):
# Node.js starts there, the runner's modules load, and the unit is one systemd accepts.
set -eu
/usr/local/bin/node --version
# cloud-init's `systemctl start --wait` talks to systemd over D-Bus ("Failed to connect to bus"
# without it, and the runner never starts): the Debian cloud image has it; a base image without it fails here.
command -v dbus-daemon >/dev/null || command -v dbus-broker >/dev/null || { echo "smoke: no D-Bus in the guest (dbus-daemon or dbus-broker): the controller's cloud-init runs systemctl start --wait, which needs it" >&2; exit 1; }
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
