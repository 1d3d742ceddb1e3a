#!/bin/bash
# PID 1 of a tests/kernels/run.sh guest, run by the host's bash from the shared root (run.sh
# copies this file into the run directory, which initramfs-init mounts at /run/tcpsight-vm).
# Makes the host's userland usable on the guest kernel (pseudo filesystems, the guest kernel's
# modules, loopback), runs command.sh, writes its exit status to the run directory and powers off.
# PID 1 must never exit (the kernel would panic), so errors here are reported, not fatal.
set -u
run=/run/tcpsight-vm
# shellcheck source=/dev/null
. "$run/config"   # written by run.sh
: "${kernel_dir:?}" "${tmp_is_host:=0}" "${stdout_is_tty:=0}"

log() { echo "tcpsight-vm: $*" >&2; }

mount_pseudo_filesystems() {
  mount -t proc -o nosuid,nodev,noexec proc /proc
  mount -t sysfs -o nosuid,nodev,noexec sysfs /sys
  mountpoint -q /dev || mount -t devtmpfs devtmpfs /dev
  # devtmpfs has only device nodes; bash's <(...) and many scripts want these links.
  ln -sfn /proc/self/fd /dev/fd
  ln -sfn /proc/self/fd/0 /dev/stdin
  ln -sfn /proc/self/fd/1 /dev/stdout
  ln -sfn /proc/self/fd/2 /dev/stderr
  mkdir -p /dev/pts /dev/shm
  mount -t devpts -o nosuid,noexec,gid=5,mode=620,ptmxmode=666 devpts /dev/pts
  mount -t tmpfs -o nosuid,nodev,mode=1777 shm /dev/shm
  # A fresh /tmp, unless the command works under the host's /tmp (a clone in /tmp/...): then
  # the overlay's /tmp, writable too, keeps those files visible.
  [[ $tmp_is_host == 1 ]] || mount -t tmpfs -o nosuid,nodev,mode=1777 tmp /tmp
  mount -t bpf -o mode=0700 bpf /sys/fs/bpf
  mount -t cgroup2 -o nsdelegate cgroup2 /sys/fs/cgroup
  mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
  mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null
  # ip netns bind-mounts namespaces under /run/netns and needs the mounts to propagate.
  mount --make-rshared /
}

# Shows the guest kernel's files from the cache (the package extracted by run.sh) where tools look:
# modprobe and the kernel's request_module() (iptables-nft loads nf_tables, xt_* this way) use
# /lib/modules/$(uname -r), depmod'ed by run.sh; libbpf reads /boot/config-$(uname -r) to resolve
# CONFIG_* externs (Debian kernels have no /proc/config.gz).
provide_kernel_files() {
  local version
  version=$(uname -r)
  mkdir -p "/lib/modules/$version"
  mount --bind "$kernel_dir/lib/modules/$version" "/lib/modules/$version" \
    || log "cannot bind the modules of $version: modprobe will fail"
  mkdir -p /boot
  cp "$kernel_dir/boot/config-$version" "$kernel_dir/boot/System.map-$version" /boot/ \
    || log "cannot copy /boot/config-$version"
}

bring_up_network() {
  echo tcpsight-vm >/proc/sys/kernel/hostname
  ip link set lo up || log "cannot bring up lo"
}

# Waits until the console has sent everything written to it: tcsetattr(TCSADRAIN), which is
# what stty does, so output is not lost when the machine powers off right after.
drain_console() {
  stty -F /dev/console -onlcr 2>/dev/null || sleep 1
}

power_off() {
  sync
  drain_console
  busybox poweroff -f 2>/dev/null
  echo o >/proc/sysrq-trigger
  sleep 60
}

main() {
  mount_pseudo_filesystems
  # The console is the host's stdout: plain newlines, not the tty's CR LF.
  stty -F /dev/console -onlcr 2>/dev/null
  provide_kernel_files
  bring_up_network
  local status=0
  # Tells run.sh the kernel booted and the command began: a VM that ends without this file failed
  # before any of our code ran, and run.sh may boot it again; one that ends after it never is.
  : >"$run/started" || log "cannot mark the command as started"
  # command.sh sets the environment, changes to the caller's directory and execs the command.
  # Its output goes to the console, which is a terminal; when run.sh's stdout is not one (CI),
  # a pipe in between keeps programs from seeing a terminal (colours, pagers, tty checks).
  if [[ $stdout_is_tty == 1 ]]; then
    env -i /bin/bash "$run/command.sh" </dev/null || status=$?
  else
    env -i /bin/bash "$run/command.sh" </dev/null 2>&1 | cat
    status=${PIPESTATUS[0]}
  fi
  echo "$status" >"$run/status" || log "cannot write the exit status"
  power_off
}

main
