#!/usr/bin/env bash
# Installs the Debian 12 packages tcpsight needs to build, run, test and benchmark; only what is
# missing. It never stops, starts or reconfigures a service: Debian's prometheus and
# prometheus-node-exporter packages start theirs when installed, so on a machine without them
# they are not installed but unpacked (apt-get download, dpkg-deb -x) into .tools/ of this
# checkout, where the tests and bench/ find prometheus, promtool and prometheus-node-exporter.
# A machine that has the packages keeps them as they are, and the tests use /usr/bin's.
set -euo pipefail
cd "$(dirname "$0")/.."
# libclang-rt-14-dev: libFuzzer and clang's sanitizer runtimes (tests/fuzz).
# libbpf-tools (tcpstates, tcplife: the bench's peers) and gnuplot-nox (the soak's plot) start no services;
# openssl and curl make and check the certificates of serve's TLS tests.
packages=(
  build-essential cmake pkg-config clang llvm libclang-rt-14-dev bpftool libbpf-dev libelf-dev zlib1g-dev
  libcli11-dev libfmt-dev nlohmann-json3-dev libcpp-httplib-dev libncurses-dev libgtest-dev libbenchmark-dev
  libyaml-cpp-dev libssl-dev libcrypt-dev libzstd-dev openssl curl iproute2 iptables tmux procps gawk hyperfine bpftrace libbpf-tools gnuplot-nox
  qemu-system-x86 busybox-static cpio kmod xz-utils podman runc
)
# Unpacked, not installed: package -> the programs it brings.
declare -A unpacked=([prometheus]="prometheus promtool" [prometheus-node-exporter]="prometheus-node-exporter")
tools=.tools/root/usr/bin

sudo=""; [[ $(id -u) -eq 0 ]] || sudo=sudo
updated=false
apt_update() { $updated || { $sudo apt-get update -qq; updated=true; }; }

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }

missing=()
for p in "${packages[@]}"; do installed "$p" || missing+=("$p"); done
if ((${#missing[@]})); then
  echo "installing: ${missing[*]}"
  apt_update
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

for p in "${!unpacked[@]}"; do
  installed "$p" && continue
  need=false
  for program in ${unpacked[$p]}; do [[ -x $tools/$program ]] || need=true; done
  $need || continue
  echo "unpacking $p into $(pwd)/.tools (not installed: its package would start a service)"
  work=$(mktemp -d)
  # apt-get download as root fetches as _apt, which must be able to write here.
  chmod 755 "$work"
  download() { (cd "$work" && apt-get download -qq "$p"); }
  download 2>/dev/null || { apt_update; download; }
  mkdir -p .tools/root
  dpkg-deb -x "$work"/"$p"_*.deb .tools/root
  rm -rf "$work"
done
true
