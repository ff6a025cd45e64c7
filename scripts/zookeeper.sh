#!/usr/bin/env bash
# A real, throwaway ZooKeeper server on 127.0.0.1 for the zk:// tests.
#
#   scripts/zookeeper.sh start   [DIR]   install Debian's zookeeper if missing, start a
#                                        standalone server on a free port (or on the port
#                                        DIR already used, so a restart keeps its address),
#                                        wait until it answers; prints 127.0.0.1:PORT
#   scripts/zookeeper.sh stop    [DIR]   stop it (data kept, so `start` is a restart)
#   scripts/zookeeper.sh restart [DIR]   stop + start on the same port, same data
#   scripts/zookeeper.sh clean   [DIR]   stop and remove DIR
#   scripts/zookeeper.sh env     [DIR]   prints MESOS_SCHED_TEST_ZK=127.0.0.1:PORT
#
# DIR defaults to $MESOS_SCHED_ZK_DIR or /tmp/mesos-sched-zk. It holds zoo.cfg, data/,
# port, pid and zookeeper.log. Typical use from a test command:
#   export MESOS_SCHED_TEST_ZK=$(scripts/zookeeper.sh start)
#   cargo test --test 'zk_*'; scripts/zookeeper.sh clean
set -euo pipefail

command=${1:-}
dir=${2:-${MESOS_SCHED_ZK_DIR:-/tmp/mesos-sched-zk}}
jar=/usr/share/java/zookeeper.jar

log() { echo "zookeeper.sh: $*" >&2; }

install_zookeeper() {
    [ -f "$jar" ] && return 0
    log "installing Debian's zookeeper package"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q >&2
    apt-get install -y -q -o DPkg::Lock::Timeout=600 --no-install-recommends zookeeper >&2
    [ -f "$jar" ] || { log "zookeeper.jar still missing after install"; exit 1; }
}

free_port() {
    python3 - <<'EOF' 2>/dev/null && return 0
import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
EOF
    # No python: pick a random high port nobody listens on.
    local port
    for _ in $(seq 50); do
        port=$((20000 + RANDOM % 40000))
        if ! ss -Htln "sport = :$port" | grep -q .; then
            echo "$port"
            return 0
        fi
    done
    log "no free port found"
    return 1
}

answers() { # port -> 0 when the server serves requests
    local reply
    reply=$(timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1; printf srvr >&3; cat <&3" 2>/dev/null || true)
    [[ $reply == *"Mode: standalone"* ]]
}

running_pid() {
    [ -f "$dir/pid" ] || return 1
    local pid
    pid=$(cat "$dir/pid")
    kill -0 "$pid" 2>/dev/null || return 1
    echo "$pid"
}

start() {
    install_zookeeper
    mkdir -p "$dir/data"
    if pid=$(running_pid); then
        port=$(cat "$dir/port")
        if answers "$port"; then
            echo "127.0.0.1:$port"
            return 0
        fi
        log "pid $pid is not answering; stopping it"
        stop
    fi
    port=""
    if [ -f "$dir/port" ]; then
        # Same port as before (a restart keeps the address) unless someone took it.
        port=$(cat "$dir/port")
        if ss -Htln "sport = :$port" | grep -q .; then
            log "port $port (used before) is taken now; picking another"
            port=""
        fi
    fi
    [ -n "$port" ] || port=$(free_port)
    cat >"$dir/zoo.cfg" <<EOF
tickTime=2000
dataDir=$dir/data
clientPort=$port
clientPortAddress=127.0.0.1
admin.enableServer=false
4lw.commands.whitelist=srvr,ruok
maxSessionTimeout=60000
EOF
    echo "$port" >"$dir/port"
    # setsid: the server must outlive the shell that started it (a test command's step).
    setsid java -Xmx256m -Dzookeeper.jmx.log4j.disable=true -cp "$dir:$jar" \
        org.apache.zookeeper.server.ZooKeeperServerMain "$dir/zoo.cfg" \
        >>"$dir/zookeeper.log" 2>&1 </dev/null &
    echo $! >"$dir/pid"
    for _ in $(seq 150); do
        if answers "$port"; then
            log "ZooKeeper serving on 127.0.0.1:$port (pid $(cat "$dir/pid"), dir $dir)"
            echo "127.0.0.1:$port"
            return 0
        fi
        if ! running_pid >/dev/null; then
            log "ZooKeeper exited; its log:"
            tail -n 30 "$dir/zookeeper.log" >&2
            return 1
        fi
        sleep 0.2
    done
    log "ZooKeeper did not answer on port $port within 30 s; its log:"
    tail -n 30 "$dir/zookeeper.log" >&2
    return 1
}

stop() {
    local pid
    if pid=$(running_pid); then
        kill "$pid" 2>/dev/null || true
        for _ in $(seq 100); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -9 "$pid" 2>/dev/null || true
    fi
    rm -f "$dir/pid"
}

case "$command" in
start) start ;;
stop) stop ;;
restart)
    stop
    start
    ;;
clean)
    stop
    rm -rf "$dir"
    ;;
env) echo "MESOS_SCHED_TEST_ZK=127.0.0.1:$(cat "$dir/port")" ;;
*)
    echo "usage: $0 start|stop|restart|clean|env [DIR]" >&2
    exit 2
    ;;
esac
