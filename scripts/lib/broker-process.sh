# Start and stop a sluice-broker on free loopback ports, for quickstart.sh and bench.sh.
# Source this file; it defines broker_start, broker_stop and the BROKER_* variables.

BROKER_PID=""
BROKER_ADDR=""
BROKER_METRICS_URL=""

# broker_start BINARY DATA_DIR LOG_FILE [extra broker flags...]
# Starts the broker and waits (bounded) for its start-up line; sets BROKER_PID, BROKER_ADDR and
# BROKER_METRICS_URL.
broker_start() {
    local binary="$1" data_dir="$2" log="$3"
    shift 3
    # The broker cannot open metadata under a relative data directory (EBADF on the directory
    # fsync), so always hand it an absolute path.
    mkdir -p "$data_dir"
    data_dir="$(cd "$data_dir" && pwd)"
    local out="${log}.stdout"
    "$binary" --listen 127.0.0.1:0 --shard-port-base 0 --metrics-listen 127.0.0.1:0 \
        --data-dir "$data_dir" "$@" >"$out" 2>"$log" &
    BROKER_PID=$!
    local waited=0
    until grep -q "listening on" "$out" 2>/dev/null; do
        if ! kill -0 "$BROKER_PID" 2>/dev/null; then
            echo "sluice-broker exited during start-up:" >&2
            cat "$log" >&2
            BROKER_PID=""
            return 1
        fi
        if ((waited >= 300)); then # 30 s
            echo "sluice-broker did not start within 30 s" >&2
            return 1
        fi
        sleep 0.1
        waited=$((waited + 1))
    done
    BROKER_ADDR="$(grep -o 'listening on [0-9.]*:[0-9]*' "$out" | head -1 | awk '{print $3}')"
    [[ -n "$BROKER_ADDR" ]] || { echo "cannot parse the broker address from: $(cat "$out")" >&2; return 1; }
    # Empty when the broker runs without a metrics endpoint.
    BROKER_METRICS_URL="$({ grep -o 'metrics http://[^ ,]*' "$out" || true; } | head -1 | awk '{print $2}')"
}

# broker_stop: SIGTERM, wait up to 15 s for a clean exit, then SIGKILL. Returns the broker's
# exit status (non-zero if it had to be killed).
broker_stop() {
    [[ -n "$BROKER_PID" ]] || return 0
    local pid="$BROKER_PID" status=0 waited=0
    BROKER_PID=""
    kill -TERM "$pid" 2>/dev/null || return 0
    while kill -0 "$pid" 2>/dev/null; do
        if ((waited >= 150)); then
            echo "sluice-broker did not stop within 15 s; killing it" >&2
            kill -KILL "$pid" 2>/dev/null || true
            wait "$pid" 2>/dev/null || true
            return 1
        fi
        sleep 0.1
        waited=$((waited + 1))
    done
    wait "$pid" 2>/dev/null || status=$?
    return "$status"
}

# cpu_layout: sets BROKER_SHARDS, BROKER_CORES and LOADGEN_CORES so the broker and the load
# generator run on different cores when the machine has more than one: shards on CPUs
# 0..N-2 (sluice-broker --cores), the load generator on the last.
cpu_layout() {
    local cpus
    cpus="$(nproc)"
    if ((cpus >= 2)); then
        BROKER_SHARDS=$((cpus - 1))
        BROKER_CORES="0-$((cpus - 2))"
        LOADGEN_CORES="$((cpus - 1))"
    else
        BROKER_SHARDS=1
        BROKER_CORES=""
        LOADGEN_CORES=""
    fi
}
