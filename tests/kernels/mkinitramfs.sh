#!/usr/bin/env bash
# mkinitramfs.sh KERNEL_DIR VERSION OUT
#
# Builds the tiny initramfs that tests/kernels/run.sh boots: a static busybox, the few modules
# needed to mount the host's root over virtio-9p with a tmpfs overlay (in load order), and
# initramfs-init as /init. KERNEL_DIR is an extracted Debian kernel package whose
# lib/modules/VERSION already has a modules.dep (run.sh runs depmod on it).
set -euo pipefail

kernel_dir=$1 version=$2 out=$3
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
moddir=$kernel_dir/lib/modules/$version
# What /init needs to mount its root. The virtio core is built in on 6.12 but modular on 6.1:
# builtin ones are skipped, and dependencies (netfs, fscache, virtio_ring, ...) come from modules.dep.
wanted=(virtio_pci 9pnet_virtio 9p overlay)

die() { echo "mkinitramfs: $*" >&2; exit 1; }

# Prints the modules.dep line (relative path, colon, dependencies) of module NAME, or nothing.
dep_line() {
  grep -E "(^|/)$1\.ko(\.xz|\.zst|\.gz)?:" "$moddir/modules.dep" || true
}

is_builtin() {
  grep -qE "(^|/)$1\.ko$" "$moddir/modules.builtin"
}

# Appends to the global `order` the relative paths of module NAME's dependencies, then its own;
# each once. Recursing on every dependency gives a valid load order whatever order modules.dep
# lists them in.
stage=""
declare -a order=()
declare -A seen=()
add_module() {
  local name=$1 line path deps dep
  line=$(dep_line "$name")
  if [[ -z $line ]]; then
    is_builtin "$name" && return 0
    die "module $name is neither in modules.dep nor built into $version"
  fi
  path=${line%%:*} deps=${line#*:}
  [[ -n ${seen[$path]:-} ]] && return 0
  seen[$path]=1
  for dep in $deps; do
    dep=${dep##*/}
    add_module "${dep%%.ko*}"
  done
  order+=("$path")
}

# Copies module file REL into the image as a plain .ko: busybox insmod cannot read compressed ones.
copy_module() {
  local rel=$1 dest=$2/lib/modules/${1##*/}
  case $rel in
    *.ko.xz) xz -dc "$moddir/$rel" >"${dest%.xz}" ;;
    *.ko.zst) zstd -qdc "$moddir/$rel" >"${dest%.zst}" ;;
    *.ko.gz) gzip -dc "$moddir/$rel" >"${dest%.gz}" ;;
    *) cp "$moddir/$rel" "$dest" ;;
  esac
}

main() {
  [[ -f $moddir/modules.dep ]] || die "$moddir/modules.dep missing (run depmod first)"
  local busybox m rel
  busybox=$(command -v busybox) || die "busybox not found (install busybox-static)"
  # The dynamic busybox of package busybox would find no libc in the initramfs.
  [[ $(ldd "$busybox" 2>&1 || true) == *'not a dynamic'* ]] || die "$busybox is not static (install busybox-static)"
  for m in "${wanted[@]}"; do add_module "$m"; done

  stage=$(mktemp -d)
  trap 'rm -rf "$stage"' EXIT
  mkdir -p "$stage"/{bin,dev,proc,sys,lib/modules,lower,upper,newroot}
  cp "$busybox" "$stage/bin/busybox"
  install -m 0755 "$here/initramfs-init" "$stage/init"
  for rel in "${order[@]}"; do
    copy_module "$rel" "$stage"
    rel=${rel##*/}
    echo "${rel%.ko*}.ko"
  done >"$stage/lib/modules/load-order"
  (cd "$stage" && find . -print0 | cpio --null --create --format=newc --quiet --owner=0:0) \
    | gzip -1 >"$out"
}

main
