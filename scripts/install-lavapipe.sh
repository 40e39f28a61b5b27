#!/bin/sh
# Installs Mesa's software Vulkan driver (lavapipe) from bookworm-backports so that the
# `webgpu` backend (Dawn) can run in CI without a GPU. Bookworm's own Mesa 22.x is too old
# for Dawn; backports carries 25.x. Run as root on Debian 12. Idempotent.
set -eu
if [ ! -f /etc/apt/sources.list.d/bookworm-backports.sources ]; then
  # The backports suite lives on the mirror this machine already uses for Debian itself.
  mirror=$(grep -h '^URIs:' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -n 1 | awk '{print $2}')
  [ -n "$mirror" ] || mirror=$(grep -h '^deb ' /etc/apt/sources.list 2>/dev/null | head -n 1 | awk '{print $2}')
  [ -n "$mirror" ] || { echo "install-lavapipe: no Debian mirror found in the apt sources" >&2; exit 1; }
  cat > /etc/apt/sources.list.d/bookworm-backports.sources <<SRC
Types: deb
URIs: $mirror
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
fi
apt-get update
DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
  -t bookworm-backports mesa-vulkan-drivers libvulkan1
# Show which Vulkan ICDs are present (lvp_icd*.json is lavapipe).
ls /usr/share/vulkan/icd.d/ 2>/dev/null || true
