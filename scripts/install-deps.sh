#!/usr/bin/env bash
# Installs the Debian 12 packages tcpsight needs to build, run, test and benchmark; only what is missing.
set -euo pipefail
# libclang-rt-14-dev: libFuzzer and clang's sanitizer runtimes (tests/fuzz).
# libbpf-tools (tcpstates, tcplife: the bench's peers) and gnuplot-nox (the soak's plot) start no services.
packages=(
  build-essential cmake pkg-config clang llvm libclang-rt-14-dev bpftool libbpf-dev libelf-dev zlib1g-dev
  libcli11-dev libfmt-dev nlohmann-json3-dev libcpp-httplib-dev libncurses-dev libgtest-dev libbenchmark-dev
  iproute2 iptables tmux procps gawk hyperfine prometheus prometheus-node-exporter bpftrace libbpf-tools gnuplot-nox
  qemu-system-x86 busybox-static cpio kmod xz-utils podman runc
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "installing: ${missing[*]}"
  sudo=""; [[ $(id -u) -eq 0 ]] || sudo=sudo
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
# The packaged prometheus and node exporter start services we do not want: tests run their own.
for svc in prometheus prometheus-node-exporter; do
  systemctl is-active --quiet "$svc" 2>/dev/null && { sudo=""; [[ $(id -u) -eq 0 ]] || sudo=sudo; $sudo systemctl stop "$svc" || true; }
done
true
