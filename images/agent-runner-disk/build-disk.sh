#!/bin/sh
# Builds the agent-runner-disk qcow2 (Dockerfile target agent-runner-disk, docs/build-image.md):
# the Debian 12 cloud image, checked against its SHA-512, grown to <size>, with Node.js, the
# compiled runner (/opt/agentlab) and agentlab-runner.service added by virt-customize, which edits
# the disk through libguestfs's own small appliance VM: no root, loop device or /dev/kvm needed
# (without /dev/kvm it runs under TCG emulation, slower).
# Usage: build-disk.sh <base.qcow2> <sha512> <root> <files dir> <size> <out.qcow2>
#   <root>: a tree holding usr/local/bin/node and opt/agentlab, copied into the guest as they are;
#   <files dir>: images/agent-runner-disk (the unit and smoke.sh).
set -eu
if [ "$#" -ne 6 ]; then
  echo "usage: $0 <base.qcow2> <sha512> <root> <files dir> <size> <out.qcow2>" >&2
  exit 2
fi
base=$1 sha512=$2 root=$3 files=$4 size=$5 out=$6
mkdir -p "$(dirname "$out")"
for f in "$base" "$root/usr/local/bin/node" "$root/opt/agentlab/operators/agent-runner/main.js" "$root/opt/agentlab/operators/agent-runner/guest-prepare.js" "$files/agentlab-runner.service" "$files/smoke.sh"; do
  [ -e "$f" ] || { echo "$0: $f is missing" >&2; exit 1; }
done
echo "$sha512  $base" | sha512sum -c - || { echo "$0: $base does not have the pinned SHA-512 (DEBIAN_CLOUD_IMAGE_SHA512); take both from the SHA512SUMS next to the image" >&2; exit 1; }

work="$out.work"
cp "$base" "$work"
# Room for the agent's workspace; cloud-init's growpart grows the root partition at first boot.
qemu-img resize "$work" "$size"
export LIBGUESTFS_BACKEND=direct
# No /dev/kvm (a docker build never has it): emulate. Run by hand on a host whose /dev/kvm is
# there but unusable (some nested setups), set LIBGUESTFS_BACKEND_SETTINGS=force_tcg yourself.
if [ ! -e /dev/kvm ] && [ -z "${LIBGUESTFS_BACKEND_SETTINGS:-}" ]; then export LIBGUESTFS_BACKEND_SETTINGS=force_tcg; fi
virt-customize -a "$work" --no-network \
  --copy-in "$root/usr/local/bin/node:/usr/local/bin" \
  --copy-in "$root/opt/agentlab:/opt" \
  --copy-in "$files/agentlab-runner.service:/etc/systemd/system" \
  --mkdir /etc/agentlab \
  --chmod 0755:/usr/local/bin/node \
  --chmod 0644:/etc/systemd/system/agentlab-runner.service \
  --run-command 'chown -R root:root /opt/agentlab /usr/local/bin/node /etc/systemd/system/agentlab-runner.service' \
  --run-command 'systemctl mask apt-daily.timer apt-daily-upgrade.timer' \
  --run "$files/smoke.sh" \
  --truncate /etc/machine-id
# Compressed; KubeVirt reads qcow2 from /disk/ as it is.
qemu-img convert -c -O qcow2 "$work" "$out"
rm -f "$work"
qemu-img info "$out"
