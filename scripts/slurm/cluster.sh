#!/usr/bin/env bash
# A single-node Slurm cluster on localhost for tests: its own munge daemon and key, its own
# slurm.conf, state, spool, logs and pid files, all in one directory given on the command line.
# Nothing is written outside that directory (apart from the packages `install` adds), and `stop`
# ends only the daemons whose pid files are in it.
#
#   cluster.sh install      apt-get install slurm-wlm and munge if slurmctld or munged is missing
#   cluster.sh start DIR    start munged, slurmctld and slurmd; wait until the node is idle
#   cluster.sh stop DIR     cancel the cluster's jobs, stop its daemons (TERM, then KILL)
#
# Clients reach the cluster through `export SLURM_CONF=DIR/slurm.conf` (start prints it).
#
# Ports: SlurmctldPort and SlurmdPort are drawn at random from 20000–31999, below Linux's default
# ephemeral range (32768–60999, where outgoing connections take their local ports), skipping any
# port /proc/net/tcp{,6} shows in use. Another program could still take a port between the check
# and the daemon's bind; slurmctld or slurmd then fails to start and `start` says so. The ports are
# written to DIR/ports. Both daemons listen on 127.0.0.1 only.
#
# Needs root (the daemons run as root: SlurmUser=root) and Linux. Tested with Debian 12's
# Slurm 22.05 and munge 0.5.15.
set -euo pipefail

# Seconds `start` waits for the node to become idle, and `stop` waits for a daemon after TERM.
readonly IDLE_TIMEOUT=30
readonly STOP_GRACE=10

usage() {
  echo "usage: $0 install | start DIR | stop DIR" >&2
  exit 2
}

log() { echo "cluster.sh: $*" >&2; }

cmd_install() {
  if command -v slurmctld >/dev/null 2>&1 && command -v slurmd >/dev/null 2>&1 \
    && command -v munged >/dev/null 2>&1 && command -v sbatch >/dev/null 2>&1; then
    return 0
  fi
  log "installing slurm-wlm and munge"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq slurm-wlm munge >/dev/null
}

# Ports in use (any state), decimal, one a line.
ports_in_use() {
  awk 'NR > 1 { split($2, a, ":"); print strtonum("0x" a[2]) }' /proc/net/tcp /proc/net/tcp6 \
    2>/dev/null | sort -un
}

# A free port in 20000–31999 that is not in the arguments.
pick_port() {
  local used port
  used=$(ports_in_use)
  for _ in $(seq 1 200); do
    port=$((20000 + RANDOM % 12000))
    if ! grep -qx "$port" <<<"$used" && [[ " $* " != *" $port "* ]]; then
      echo "$port"
      return 0
    fi
  done
  log "no free port found in 20000-31999"
  return 1
}

# Whether PID is a live process of the named program. The name check guards against a stale pid
# file whose pid was reused by another process; a zombie (exited, not yet reaped: the init of
# some CI machines does not reap orphans) counts as gone.
pid_alive() {
  local pid=$1 name=$2 stat
  stat=$(cat "/proc/$pid/stat" 2>/dev/null || true)
  # /proc/PID/stat is "PID (COMM) STATE ...": COMM is the first 15 bytes of the program name.
  [[ $stat == "$pid (${name:0:15}) "* ]] && [[ ${stat#*) } != Z* ]]
}

# The pid in a pid file if that process is alive and is the named program, else nothing.
live_pid() {
  local file=$1 name=$2 pid
  # A daemon removes its pid file as it exits: a file gone between test and read is no error.
  pid=$(tr -dc '0-9' 2>/dev/null <"$file" || true)
  if [[ -n $pid ]] && pid_alive "$pid" "$name"; then
    echo "$pid"
  fi
}

# Waits up to $2 seconds for a pid file to name a live process.
wait_for_pid() {
  local file=$1 name=$2 seconds=$3 i
  for ((i = 0; i < seconds * 10; i++)); do
    [[ -n $(live_pid "$file" "$name") ]] && return 0
    sleep 0.1
  done
  return 1
}

show_logs() {
  local dir=$1 f
  for f in "$dir"/log/*.log; do
    [[ -f $f ]] || continue
    echo "----- $f (last 40 lines)" >&2
    tail -n 40 "$f" >&2
  done
}

write_conf() {
  local dir=$1 node=$2 ctld_port=$3 slurmd_port=$4 node_line
  # slurmd -C reports what slurmd will find; a RealMemory above it would make the node invalid.
  node_line=$(slurmd -C | head -n 1 | sed "s/^NodeName=[^ ]*/NodeName=$node/")
  cat >"$dir/slurm.conf" <<EOF
# Written by scripts/slurm/cluster.sh: a private single-node cluster on loopback.
ClusterName=ipabs-ci
SlurmctldHost=$node(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
CommunicationParameters=NoCtldInAddrAny,NoInAddrAny
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$dir/munge/munge.socket.2
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/pids/slurmctld.pid
SlurmdPidFile=$dir/pids/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
# No cgroups: nothing is left under /sys/fs/cgroup and no writable cgroupfs is needed.
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
SwitchType=switch/none
SchedulerType=sched/backfill
# Start batch jobs at once on submit and completion events: with the default delay (3 s) a 4-task
# array of short tasks and its merge took 9 s on 2 cores instead of 3 s.
SchedulerParameters=batch_sched_delay=0
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
MailProg=/bin/true
# A job whose dependency can no longer be met (afterok on a failed job) is cancelled instead of
# pending for ever; a cancelled job's processes get KILL 5 s after TERM.
DependencyParameters=kill_invalid_depend
KillWait=5
$node_line NodeAddr=127.0.0.1 State=UNKNOWN
PartitionName=debug Nodes=$node Default=YES MaxTime=INFINITE State=UP
EOF
}

start_munge() {
  local dir=$1 sock
  sock=$dir/munge/munge.socket.2
  mungekey --create --keyfile="$dir/munge.key" --force
  chmod 0600 "$dir/munge.key"
  munged --socket="$sock" --key-file="$dir/munge.key" --pid-file="$dir/pids/munged.pid" \
    --log-file="$dir/log/munged.log" --seed-file="$dir/munge/munged.seed"
  wait_for_pid "$dir/pids/munged.pid" munged 5 || { log "munged did not start"; return 1; }
  munge --socket="$sock" -n | unmunge --socket="$sock" >/dev/null \
    || { log "munge credential round trip failed"; return 1; }
}

# Polls sinfo until the node is idle. A drained or invalid node (e.g. RealMemory above what slurmd
# finds) fails at once; an "unknown" or not-responding one only after the timeout, since the node
# is in that state until slurmd registers.
wait_idle() {
  local dir=$1 node=$2 state="" reason="" i
  for ((i = 0; i < IDLE_TIMEOUT * 5; i++)); do
    state=$(SLURM_CONF=$dir/slurm.conf sinfo -h -N -n "$node" -o '%T' 2>/dev/null || true)
    case $state in
      idle) return 0 ;;
      drain* | inval* | fail*) break ;;
      down*)
        # Down until slurmd registers ("Not responding"); down for any other reason is final.
        reason=$(SLURM_CONF=$dir/slurm.conf sinfo -h -N -n "$node" -o '%E' 2>/dev/null || true)
        [[ -z $reason || $reason == "Not responding" ]] || break
        ;;
    esac
    [[ -n $(live_pid "$dir/pids/slurmd.pid" slurmd) ]] || { log "slurmd exited"; break; }
    [[ -n $(live_pid "$dir/pids/slurmctld.pid" slurmctld) ]] || { log "slurmctld exited"; break; }
    sleep 0.2
  done
  reason=$(SLURM_CONF=$dir/slurm.conf sinfo -h -N -n "$node" -o '%E' 2>/dev/null || true)
  log "node $node is not idle: state '${state:-none}', reason '${reason:-none}'"
  return 1
}

# EXIT trap of a start that did not finish: show the logs, stop what was started.
on_start_exit() {
  local status=$?
  trap - EXIT
  log "start failed"
  show_logs "$START_DIR"
  cmd_stop "$START_DIR"
  exit $((status == 0 ? 1 : status))
}

cmd_start() {
  local dir node ctld_port slurmd_port t0 daemon
  [[ -n ${1:-} ]] || usage
  mkdir -p "$1"
  dir=$(cd "$1" && pwd -P)
  for daemon in munged slurmctld slurmd; do
    if [[ -n $(live_pid "$dir/pids/$daemon.pid" "$daemon") ]]; then
      log "$daemon is already running for $dir; run: $0 stop $dir"
      return 1
    fi
  done
  for tool in munged mungekey slurmctld slurmd sinfo; do
    command -v "$tool" >/dev/null 2>&1 || { log "$tool not found; run: $0 install"; return 1; }
  done
  t0=$(date +%s.%N)
  node=$(hostname -s)
  mkdir -p "$dir/state" "$dir/spool" "$dir/log" "$dir/pids" "$dir/munge"
  # munged refuses a socket directory others cannot search.
  chmod 0755 "$dir/munge"
  ctld_port=$(pick_port)
  slurmd_port=$(pick_port "$ctld_port")
  printf 'SlurmctldPort=%s\nSlurmdPort=%s\n' "$ctld_port" "$slurmd_port" >"$dir/ports"
  write_conf "$dir" "$node" "$ctld_port" "$slurmd_port"

  # From here on a failure stops whatever was started, so a failed start leaves nothing running.
  START_DIR=$dir
  trap on_start_exit EXIT
  start_munge "$dir"
  slurmctld -f "$dir/slurm.conf" -c
  wait_for_pid "$dir/pids/slurmctld.pid" slurmctld 10 || { log "slurmctld did not start"; false; }
  slurmd -f "$dir/slurm.conf" -N "$node"
  wait_for_pid "$dir/pids/slurmd.pid" slurmd 10 || { log "slurmd did not start"; false; }
  wait_idle "$dir" "$node"
  trap - EXIT
  log "node $node idle after $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s;" \
    "ports $ctld_port (slurmctld) and $slurmd_port (slurmd)"
  echo "export SLURM_CONF=$dir/slurm.conf"
}

# TERM a daemon by its pid file, KILL it after STOP_GRACE seconds.
stop_daemon() {
  local file=$1 name=$2 pid i
  pid=$(live_pid "$file" "$name")
  [[ -n $pid ]] || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < STOP_GRACE * 10; i++)); do
    pid_alive "$pid" "$name" || return 0
    sleep 0.1
  done
  log "$name ($pid) still running after ${STOP_GRACE} s: KILL"
  kill -KILL "$pid" 2>/dev/null || true
  for ((i = 0; i < 20; i++)); do
    pid_alive "$pid" "$name" || return 0
    sleep 0.1
  done
  log "$name ($pid) survived KILL"
  return 1
}

cmd_stop() {
  local dir i
  [[ -n ${1:-} ]] || usage
  [[ -d $1 ]] || return 0
  dir=$(cd "$1" && pwd -P)
  # Cancel the cluster's jobs first, so that no job step outlives slurmd. scancel reaches only this
  # cluster (SLURM_CONF); a dead slurmctld makes it fail, which is fine.
  if [[ -n $(live_pid "$dir/pids/slurmctld.pid" slurmctld) ]]; then
    export SLURM_CONF=$dir/slurm.conf
    if [[ -n $(squeue -h -o '%i' 2>/dev/null) ]]; then
      scancel --quiet --full "--user=$(id -un)" 2>/dev/null || true
      for ((i = 0; i < 80; i++)); do
        [[ -z $(squeue -h -o '%i' 2>/dev/null) ]] && break
        sleep 0.25
      done
    fi
  fi
  stop_daemon "$dir/pids/slurmd.pid" slurmd
  stop_daemon "$dir/pids/slurmctld.pid" slurmctld
  stop_daemon "$dir/pids/munged.pid" munged
}

case ${1:-} in
  install) cmd_install ;;
  start) cmd_start "${2:-}" ;;
  stop) cmd_stop "${2:-}" ;;
  *) usage ;;
esac
