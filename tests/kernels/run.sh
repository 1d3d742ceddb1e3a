#!/usr/bin/env bash
# tests/kernels/run.sh KERNEL COMMAND [ARG...]
# tests/kernels/run.sh --list
#
# Boots a Debian 12 kernel in QEMU (TCG: no KVM needed) with this machine's root filesystem as
# the guest's root (read-only over virtio-9p, under a tmpfs overlay so the guest can write
# anywhere), runs COMMAND there as root from the current directory, and exits with its status.
# The guest's console is this script's stdout.
#
# KERNEL: 6.1 or 6.12 (the newest Debian 12 package of that series), or an exact version such as
# 6.1.0-57-amd64. Kernels are downloaded with apt-get download (never installed) and cached,
# extracted, in build/kernels/VERSION (TCPSIGHT_KERNEL_CACHE overrides the directory).
#
# Environment: TCPSIGHT_VM_TIMEOUT (seconds, default 2400), TCPSIGHT_VM_MEMORY (default 4G),
# TCPSIGHT_VM_CPUS (default 2), TCPSIGHT_VM_VERBOSE=1 (all kernel messages). COMMAND gets PATH,
# HOME=/root, TERM (dumb unless set), CI and NO_COLOR when set, stdin from /dev/null, and a
# terminal as stdout only when this script's stdout is one.
# Exit status: COMMAND's; 124 when the VM timed out; 125 when the runner failed (no kernel, no
# boot, or the guest never reported a status). A VM that fails before the command starts is booted
# again, up to three boots in all.
set -eEuo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
cache_root=${TCPSIGHT_KERNEL_CACHE:-$repo/build/kernels}
vm_timeout=${TCPSIGHT_VM_TIMEOUT:-2400}
vm_memory=${TCPSIGHT_VM_MEMORY:-4G}
vm_cpus=${TCPSIGHT_VM_CPUS:-2}
readonly exit_timeout=124 exit_runner=125 max_boots=3
declare -a cleanup_paths=()

say() { echo "tests/kernels/run.sh: $*" >&2; }
die() { say "$*"; exit "$exit_runner"; }
cleanup() { ((${#cleanup_paths[@]} == 0)) || rm -rf -- "${cleanup_paths[@]}"; }
trap cleanup EXIT
# Any unexpected failure is the runner's, never a status that could pass for COMMAND's.
trap 'say "internal error at line $LINENO"; exit "$exit_runner"' ERR

usage() {
  sed -n '2,3p' "${BASH_SOURCE[0]}" | sed 's/^# //' >&2
  exit 2
}

check_tools() {
  local tool missing=()
  for tool in qemu-system-x86_64 busybox cpio gzip xz depmod dpkg-deb apt-get apt-cache timeout flock; do
    command -v "$tool" >/dev/null || missing+=("$tool")
  done
  ((${#missing[@]} == 0)) || die "missing ${missing[*]}: run scripts/install-deps.sh"
}

# --- Which kernel ------------------------------------------------------------------------------
# Debian names its kernel images linux-image-VERSION-unsigned; VERSION is 6.1.0-57-amd64 for the
# 6.1 series (Debian's ABI number, not the upstream patch level) and 6.12.117+deb12-amd64 for 6.12.

# Prints the regex of the versions of series SERIES (e.g. 6.1), generic amd64 flavour only.
series_regex() {
  local s=${1//./\\.}
  echo "^${s}(\\.0-[0-9]+|\\.[0-9]+\\+deb[0-9]+)-amd64\$"
}

# Prints the kernel versions apt knows about, one a line.
apt_versions() {
  { apt-cache pkgnames linux-image- 2>/dev/null || true; } | sed -n 's/^linux-image-\(.*\)-unsigned$/\1/p'
}

cached_versions() {
  local d
  for d in "$cache_root"/*/; do
    [[ -f $d/package ]] && basename "$d"
  done
  return 0
}

# Prints the newest version of SERIES known to apt or in the cache.
newest_of_series() {
  { apt_versions; cached_versions; } | { grep -E "$(series_regex "$1")" || true; } | sort -uV | tail -n 1
}

# Prints the exact kernel version that argument KERNEL stands for.
resolve_kernel() {
  local arg=$1 version
  if [[ $arg =~ ^[0-9]+\.[0-9]+$ ]]; then
    version=$(newest_of_series "$arg")
    if [[ -z $version && $(id -u) == 0 ]]; then
      say "no $arg kernel known to apt: apt-get update"
      apt-get update -qq >&2 || true
      version=$(newest_of_series "$arg")
    fi
    [[ -n $version ]] || die "no Debian linux-image-$arg*-amd64-unsigned package found"
    echo "$version"
    return
  fi
  version=${arg#linux-image-}
  version=${version%-unsigned}
  [[ $version == *-amd64 ]] || version+=-amd64
  echo "$version"
}

# --- Kernel cache --------------------------------------------------------------------------------
# build/kernels/VERSION holds the extracted package (boot/vmlinuz-VERSION, lib/modules/VERSION with
# a modules.dep made by depmod) and a file `package` naming the package and its version. It is
# made in a temporary directory and renamed into place, so a cache entry is always complete.

# Downloads, extracts and depmods kernel VERSION into the cache.
fetch_kernel() {
  local version=$1 package=linux-image-$1-unsigned tmp deb
  tmp=$(mktemp -d "$cache_root/.fetch.XXXXXX")
  cleanup_paths+=("$tmp")
  say "downloading $package"
  # apt's _apt sandbox user could not write into our directory: download as ourselves.
  (cd "$tmp" && apt-get download -q -o APT::Sandbox::User=root "$package" >&2) \
    || die "cannot download $package (is it a Debian 12 kernel? try: $0 --list)"
  deb=$(echo "$tmp"/*.deb)
  dpkg-deb -x "$deb" "$tmp/root"
  [[ -f $tmp/root/boot/vmlinuz-$version ]] || die "$package has no boot/vmlinuz-$version"
  # The package's postinst would run depmod; we never install it, so do it here.
  depmod -b "$tmp/root" "$version"
  # shellcheck disable=SC2016  # dpkg's format, not a shell expansion
  dpkg-deb -W --showformat='${Package} ${Version}\n' "$deb" >"$tmp/root/package"
  mv -T "$tmp/root" "$cache_root/$version"
}

# Makes sure kernel VERSION is in the cache.
ensure_kernel() {
  local version=$1
  mkdir -p "$cache_root"
  # One download at a time, so that parallel runs of the same kernel share it.
  exec 9>"$cache_root/.lock"
  flock 9
  [[ -f $cache_root/$version/package ]] || fetch_kernel "$version"
  exec 9>&-
}

list_kernels() {
  local series version state
  for series in 6.1 6.12; do
    version=$(newest_of_series "$series")
    state="not cached"
    [[ -f $cache_root/$version/package ]] && state="cached: $(<"$cache_root/$version/package")"
    printf '%-5s %-24s %s\n' "$series" "${version:-?}" "$state"
  done
  echo "in $cache_root:"
  cached_versions | sed 's/^/  /'
}

# --- One run -------------------------------------------------------------------------------------
# The run directory (shared with the guest as 9p tag tcpsightrun, mounted at /run/tcpsight-vm)
# holds guest.sh, its config, command.sh and, afterwards, the file `status`.

# True when the guest must keep the host's /tmp instead of a fresh tmpfs: the command runs in it,
# names a path in it, or the repository or kernel cache is there (a clone in /tmp/...).
needs_host_tmp() {
  local path
  for path in "$PWD" "$repo" "$cache_root" "$@"; do
    [[ $path == /tmp || $path == /tmp/* ]] && return 0
  done
  return 1
}

# Writes command.sh: the environment, the caller's directory, then COMMAND, quoted for bash.
write_command() {
  local out=$1
  shift
  {
    echo 'export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root'
    printf 'export TERM=%q\n' "${TERM:-dumb}"
    [[ -v CI ]] && printf 'export CI=%q\n' "$CI"
    [[ -v NO_COLOR ]] && printf 'export NO_COLOR=%q\n' "$NO_COLOR"
    printf 'cd -- %q || exit %d\n' "$PWD" "$exit_runner"
    printf 'exec --'
    printf ' %q' "$@"
    echo
  } >"$out"
}

prepare_run_dir() {
  local run=$1 kdir=$2 version=$3
  shift 3
  cp "$here/guest.sh" "$run/guest.sh"
  {
    printf 'kernel_dir=%q\n' "$kdir"
    if needs_host_tmp "$@"; then echo tmp_is_host=1; else echo tmp_is_host=0; fi
    if [[ -t 1 ]]; then echo stdout_is_tty=1; else echo stdout_is_tty=0; fi
  } >"$run/config"
  write_command "$run/command.sh" "$@"
  "$here/mkinitramfs.sh" "$kdir" "$version" "$run/initramfs.gz" || die "cannot build the initramfs"
}

# Boots the VM; returns QEMU's (or timeout's) exit status.
boot() {
  local run=$1 kdir=$2 version=$3 loglevel=3
  [[ -z ${TCPSIGHT_VM_VERBOSE:-} ]] || loglevel=7
  # shellcheck disable=SC2054  # commas separate QEMU's sub-options
  local qemu=(
    qemu-system-x86_64 -nodefaults -no-user-config -machine pc
    # /dev/kvm here cannot run a stock kernel: emulate (TCG), one thread per vCPU.
    -accel tcg,thread=multi -cpu max -smp "$vm_cpus" -m "$vm_memory"
    -display none -monitor none -serial stdio
    # A panic (panic=-1 reboots at once) or a failed init ends QEMU instead of rebooting.
    -no-reboot
    -kernel "$kdir/boot/vmlinuz-$version" -initrd "$run/initramfs.gz"
    -append "console=ttyS0 loglevel=$loglevel panic=-1 rdinit=/init"
    # multidevs=remap: / spans several host filesystems; keeps inode numbers unique in the guest.
    -fsdev "local,id=hostroot,path=/,security_model=none,readonly=on,multidevs=remap"
    -device virtio-9p-pci,fsdev=hostroot,mount_tag=hostroot
    -fsdev "local,id=run,path=$run,security_model=none"
    -device virtio-9p-pci,fsdev=run,mount_tag=tcpsightrun
  )
  local rc=0
  # stdin from /dev/null: QEMU leaves the terminal alone, and the guest never waits for input.
  # --foreground keeps QEMU in our process group, so Ctrl-C stops it too.
  # sed drops the kernel's last words, which no log level hides; with pipefail, the pipeline's
  # status is timeout's (sed's is 0).
  timeout --foreground --kill-after=10 "$vm_timeout" "${qemu[@]}" </dev/null \
    | sed -u '/^\[ *[0-9.]*\] reboot: Power down\r\?$/d' || rc=$?
  return "$rc"
}

main() {
  [[ $# -ge 1 ]] || usage
  check_tools
  if [[ $1 == --list ]]; then
    list_kernels
    return
  fi
  [[ $# -ge 2 ]] || usage
  local kernel=$1 version kdir run rc=0 start status
  shift
  version=$(resolve_kernel "$kernel") || exit "$exit_runner"
  ensure_kernel "$version"
  kdir=$cache_root/$version
  run=$(mktemp -d "${TMPDIR:-/tmp}/tcpsight-vm.XXXXXX")
  cleanup_paths+=("$run")
  prepare_run_dir "$run" "$kdir" "$version" "$@"

  local boots=0
  start=$SECONDS
  while :; do
    boots=$((boots + 1))
    say "booting $version ($(<"$kdir/package")) under QEMU/TCG"
    rc=0
    rm -f -- "$run/started" "$run/status"
    boot "$run" "$kdir" "$version" || rc=$?
    if ((rc == 124 || rc == 137)); then
      say "TIMEOUT: $version did not finish within $vm_timeout s (TCPSIGHT_VM_TIMEOUT); VM killed"
      exit "$exit_timeout"
    fi
    # Multi-threaded TCG now and then crashes a kernel while it patches its own code early in
    # boot (seen once in CI: 6.12.118, "Oops: int3" in sched_clock_cpu from an initcall). That
    # is before init, so before anything of ours ran: boot again, at most twice. A crash after
    # the command started is a result and is reported as one.
    [[ ! -e $run/started && ! -e $run/status ]] || break
    ((boots < max_boots)) || break
    say "$version failed before the command started (boot $boots of $max_boots); booting again"
  done
  status=$(cat "$run/status" 2>/dev/null || true)
  if [[ ! $status =~ ^[0-9]+$ ]]; then
    [[ -e $run/started ]] \
      || die "FAILED: $version did not boot in $boots tries (kernel panic before init?; QEMU exit $rc)"
    die "FAILED: $version stopped while the command ran, without an exit status (kernel panic?; QEMU exit $rc)"
  fi
  say "$version: exit status $status after $((SECONDS - start)) s"
  exit "$status"
}

main "$@"
