#!/usr/bin/env bash
# tools/infra/infra.sh - local Kafka + Redis for Storeloop development and tests,
# without Docker.
#
# Runs a real Apache Kafka 4.x broker (KRaft, combined broker+controller) with
# Java 17+ from the Apache jars that Maven resolves from Maven Central via
# tools/infra/kafka/pom.xml, and a real redis-server. Everything is bound to
# 127.0.0.1 and all state (jars, configs, data, logs, pidfiles) lives under
# <repo>/.local/infra (git-ignored). Works from any cwd.
#
# Commands (also via npm: `npm run infra:up -- --brokers 3`):
#   up [--brokers 1|3]        start Redis and Kafka (idempotent)
#   down [--purge]            stop everything we started; --purge also wipes data
#   status                    show components; exit 0 if all expected run, else 3
#   start redis|kafka [--brokers 1|3]   start a single component
#   stop  redis|kafka                   stop a single component
#   kafka-class <main.Class> [args...]  run a Kafka CLI class on the jar classpath
#   topics [TopicCommand args...]       TopicCommand, --bootstrap-server defaulted
#   help
#
# Ports:
#   1 broker : clients 127.0.0.1:9092, controller 127.0.0.1:19092 (node.id 1)
#   3 brokers: clients 127.0.0.1:9092/9093/9094, controllers 19092/19093/19094
#   redis    : 127.0.0.1:${REDIS_PORT:-6379}
#
# Environment overrides:
#   STORELOOP_INFRA_DIR  state dir (default <repo>/.local/infra)
#   KAFKA_VERSION        Kafka version to resolve/run (default: the pom's
#                        kafka.version; passed to Maven as -Dkafka.version)
#   KAFKA_HEAP_OPTS      broker JVM heap (default "-Xmx512m -Xms256m")
#   REDIS_PORT           Redis port (default 6379)
#   KAFKA_CLIENT_BASE    first client port (default 9092; node N uses BASE+N-1)
#   KAFKA_CONTROLLER_BASE  first controller port (default 19092)
#   JAVA_HOME            Java 17+ to use (default: java on PATH)
#   INFRA_READY_TIMEOUT  seconds to wait for readiness (default 60; 90 for 3 brokers)
set -euo pipefail

# ---------------------------------------------------------------- locations --
SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$SCRIPT_DIR/../.." && pwd)"
KAFKA_RES_DIR="$SCRIPT_DIR/kafka"
POM="$KAFKA_RES_DIR/pom.xml"

STATE_DIR="${STORELOOP_INFRA_DIR:-$REPO_ROOT/.local/infra}"
# Absolute, so process command lines (our pid checks) match whatever the cwd was.
case "$STATE_DIR" in /*) ;; *) STATE_DIR="$PWD/$STATE_DIR" ;; esac
KAFKA_STATE="$STATE_DIR/kafka"
REDIS_STATE="$STATE_DIR/redis"

POM_KAFKA_VERSION="$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$POM" | head -n1)"
KAFKA_VERSION="${KAFKA_VERSION:-$POM_KAFKA_VERSION}"
[[ "$KAFKA_VERSION" =~ ^[0-9][0-9A-Za-z.-]*$ ]] || {
  echo "ERROR: invalid KAFKA_VERSION '$KAFKA_VERSION'" >&2
  exit 1
}
# One jar dir per version, so changing KAFKA_VERSION never swaps jars under a running broker.
KAFKA_LIBS="$KAFKA_STATE/libs/$KAFKA_VERSION"
KAFKA_HEAP_OPTS="${KAFKA_HEAP_OPTS:--Xmx512m -Xms256m}"
REDIS_PORT="${REDIS_PORT:-6379}"
READY_TIMEOUT="${INFRA_READY_TIMEOUT:-}" # default: 60 s (1 broker), 90 s (3 brokers)
[[ -z "$READY_TIMEOUT" || "$READY_TIMEOUT" =~ ^[0-9]+$ ]] || {
  echo "ERROR: INFRA_READY_TIMEOUT must be a number of seconds" >&2
  exit 1
}
[[ "$REDIS_PORT" =~ ^[0-9]+$ ]] || {
  echo "ERROR: REDIS_PORT must be a port number" >&2
  exit 1
}
STOP_TIMEOUT=30

# Port bases (node N listens on BASE+N-1): overridable so a second, isolated
# set (its own STORELOOP_INFRA_DIR and REDIS_PORT, e.g. `npm run chaos`) can
# run beside the usual one.
KAFKA_CLIENT_BASE="${KAFKA_CLIENT_BASE:-9092}"
KAFKA_CONTROLLER_BASE="${KAFKA_CONTROLLER_BASE:-19092}"
[[ "$KAFKA_CLIENT_BASE" =~ ^[0-9]+$ && "$KAFKA_CONTROLLER_BASE" =~ ^[0-9]+$ ]] || {
  echo "ERROR: KAFKA_CLIENT_BASE and KAFKA_CONTROLLER_BASE must be port numbers" >&2
  exit 1
}

# ------------------------------------------------------------------ helpers --
log() { printf '%s\n' "$*"; }
warn() { printf 'WARN: %s\n' "$*" >&2; }
die() {
  printf 'ERROR: %s\n' "$*" >&2
  exit 1
}

now_ms() {
  local t
  t="$(date +%s%3N 2>/dev/null || true)"
  if [[ "$t" =~ ^[0-9]+$ ]]; then
    printf '%s' "$t"
  else
    printf '%s' "$(($(date +%s) * 1000))"
  fi
}

# elapsed START_MS -> "12.3 s"
elapsed() {
  local d=$(($(now_ms) - $1))
  printf '%d.%d s' $((d / 1000)) $(((d % 1000) / 100))
}

# Relative path for display.
rel() {
  case "$1" in
    "$REPO_ROOT"/*) printf '%s' "${1#"$REPO_ROOT"/}" ;;
    *) printf '%s' "$1" ;;
  esac
}

# Alive = exists and is not a zombie (orphans may linger as zombies until reaped).
pid_alive() {
  [[ -n "${1:-}" ]] && kill -0 "$1" 2>/dev/null || return 1
  [[ "$(ps -o stat= -p "$1" 2>/dev/null || true)" != Z* ]]
}

pid_args() { ps -ww -o args= -p "$1" 2>/dev/null || true; }

read_pidfile() {
  local f="$1" pid=""
  [[ -f "$f" ]] && pid="$(tr -dc '0-9' <"$f" || true)"
  printf '%s' "$pid"
}

# Is something listening on 127.0.0.1:PORT (or on any address with that port)?
port_in_use() {
  local port="$1"
  if command -v ss >/dev/null 2>&1; then
    [[ -n "$(ss -Hltn "sport = :$port" 2>/dev/null)" ]]
  else
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null
  fi
}

# Pid of the process listening on PORT, if it can be found (empty otherwise).
port_pid() {
  local port="$1" out=""
  if command -v ss >/dev/null 2>&1; then
    out="$(ss -Hltnp "sport = :$port" 2>/dev/null | grep -o 'pid=[0-9]*' | head -n1 | cut -d= -f2 || true)"
  fi
  if [[ -z "$out" ]] && command -v lsof >/dev/null 2>&1; then
    out="$(lsof -nP -t -iTCP:"$port" -sTCP:LISTEN 2>/dev/null | head -n1 || true)"
  fi
  if [[ -z "$out" ]] && command -v fuser >/dev/null 2>&1; then
    out="$(fuser -n tcp "$port" 2>/dev/null | tr -s ' ' '\n' | grep -E '^[0-9]+$' | head -n1 || true)"
  fi
  printf '%s' "$out"
}

describe_port_owner() {
  local port="$1" pid
  pid="$(port_pid "$port")"
  if [[ -n "$pid" ]]; then
    printf 'pid %s (%s)' "$pid" "$(pid_args "$pid" | cut -c1-120)"
  else
    printf 'unknown pid (not visible to this user; try: sudo ss -ltnp "sport = :%s")' "$port"
  fi
}

# Fail if PORT is taken by a process other than OUR_PID.
ensure_port_free_or_ours() {
  local port="$1" what="$2" our_pid="${3:-}" owner
  port_in_use "$port" || return 0
  owner="$(port_pid "$port")"
  if [[ -n "$our_pid" && "$owner" == "$our_pid" ]]; then
    return 0
  fi
  local hint="Stop it and retry."
  [[ "$what" == redis ]] && hint="Stop it (if it is the system service: sudo systemctl stop redis-server) or use another port via REDIS_PORT, and retry."
  die "$what: port $port is already in use by another process: $(describe_port_owner "$port"). $hint"
}

wait_port_free() {
  local port="$1" deadline=$(($(date +%s) + ${2:-10}))
  while port_in_use "$port"; do
    (($(date +%s) >= deadline)) && return 1
    sleep 0.2
  done
}

# stop_pids LABEL PID... : SIGTERM, wait up to STOP_TIMEOUT s, then SIGKILL.
stop_pids() {
  local label="$1"
  shift
  local pids=("$@") p remaining deadline
  ((${#pids[@]})) || return 0
  kill -TERM "${pids[@]}" 2>/dev/null || true
  deadline=$(($(date +%s) + STOP_TIMEOUT))
  while :; do
    remaining=()
    for p in "${pids[@]}"; do pid_alive "$p" && remaining+=("$p"); done
    ((${#remaining[@]})) || return 0
    if (($(date +%s) >= deadline)); then
      warn "$label: pid(s) ${remaining[*]} did not exit within ${STOP_TIMEOUT} s; sending SIGKILL"
      kill -KILL "${remaining[@]}" 2>/dev/null || true
      sleep 1
      for p in "${remaining[@]}"; do
        pid_alive "$p" && die "$label: pid $p survived SIGKILL"
      done
      return 0
    fi
    sleep 0.3
  done
}

acquire_lock() {
  mkdir -p "$STATE_DIR"
  if command -v flock >/dev/null 2>&1; then
    exec 9>"$STATE_DIR/.lock"
    flock -w 300 9 || die "another infra.sh is running (lock $STATE_DIR/.lock)"
  fi
}

# -------------------------------------------------------------------- java --
JAVA_BIN=""
require_java() {
  [[ -n "$JAVA_BIN" ]] && return 0
  if [[ -n "${JAVA_HOME:-}" && -x "$JAVA_HOME/bin/java" ]]; then
    JAVA_BIN="$JAVA_HOME/bin/java"
  elif command -v java >/dev/null 2>&1; then
    JAVA_BIN="$(command -v java)"
  else
    die "java not found. Kafka $KAFKA_VERSION needs Java 17+: install it (Debian/Ubuntu: apt-get install -y openjdk-17-jre-headless) or set JAVA_HOME."
  fi
  local v major
  v="$("$JAVA_BIN" -version 2>&1 | sed -n 's/.*version "\([^"]*\)".*/\1/p' | head -n1)"
  major="${v%%.*}"
  [[ "$major" == "1" ]] && major="$(cut -d. -f2 <<<"$v")"
  if ! [[ "$major" =~ ^[0-9]+$ ]] || ((major < 17)); then
    die "Kafka $KAFKA_VERSION needs Java 17+, but $JAVA_BIN is version '${v:-unknown}'. Set JAVA_HOME to a JDK/JRE 17+."
  fi
}

# -------------------------------------------------------------- kafka jars --
kafka_libs_ready() {
  [[ -f "$KAFKA_LIBS/.version" && "$(cat "$KAFKA_LIBS/.version")" == "$KAFKA_VERSION" ]] &&
    compgen -G "$KAFKA_LIBS/kafka_2.13-*.jar" >/dev/null
}

ensure_kafka_libs() {
  kafka_libs_ready && return 0
  command -v mvn >/dev/null 2>&1 ||
    die "mvn not found; it is needed once to resolve the Kafka jars from Maven Central. Install Maven 3.8+ (Debian/Ubuntu: apt-get install -y maven)."
  local t0 tmp out
  t0="$(now_ms)"
  log "kafka: resolving Apache Kafka $KAFKA_VERSION jars from Maven Central ..."
  mkdir -p "$KAFKA_STATE"
  mkdir -p "$(dirname "$KAFKA_LIBS")"
  tmp="$KAFKA_LIBS.tmp.$$"
  rm -rf "$tmp"
  if ! out="$(mvn -q -B -f "$POM" -Dkafka.version="$KAFKA_VERSION" \
    dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$tmp" 2>&1)"; then
    rm -rf "$tmp"
    printf '%s\n' "$out" | tail -n 40 >&2
    die "kafka: resolving jars for Kafka $KAFKA_VERSION failed (see Maven output above)"
  fi
  printf '%s\n' "$KAFKA_VERSION" >"$tmp/.version"
  rm -rf "$KAFKA_LIBS"
  mv "$tmp" "$KAFKA_LIBS"
  log "kafka: resolved jars in $(elapsed "$t0") ($(find "$KAFKA_LIBS" -name '*.jar' | wc -l | tr -d ' ') jars in $(rel "$KAFKA_LIBS"))"
}

# Run a Kafka CLI main class with the tools logging config.
kafka_class() {
  require_java
  ensure_kafka_libs >&2
  "$JAVA_BIN" -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="$KAFKA_RES_DIR/log4j2-tools.yaml" \
    -cp "$KAFKA_LIBS/*" "$@"
}

# ------------------------------------------------------------ kafka layout --
# Broker counts: 1 ("single", node.id 1) or 3 ("cluster3", node.ids 1..3).
mode_dir() {
  if [[ "$1" == 3 ]]; then printf '%s' "$KAFKA_STATE/cluster3"; else printf '%s' "$KAFKA_STATE/single"; fi
}
node_dir() { printf '%s/node-%s' "$(mode_dir "$1")" "$2"; }
client_port() { printf '%s' $((KAFKA_CLIENT_BASE + $1 - 1)); }
controller_port() { printf '%s' $((KAFKA_CONTROLLER_BASE + $1 - 1)); }

bootstrap_servers() {
  local n="$1" i s=""
  for ((i = 1; i <= n; i++)); do s+="${s:+,}127.0.0.1:$(client_port "$i")"; done
  printf '%s' "$s"
}

# Pid of our running Kafka node (empty if not running); removes stale pidfiles.
kafka_node_pid() {
  local dir pid
  dir="$(node_dir "$1" "$2")"
  pid="$(read_pidfile "$dir/kafka.pid")"
  if [[ -n "$pid" ]] && pid_alive "$pid" && [[ "$(pid_args "$pid")" == *"kafka.Kafka $dir/server.properties"* ]]; then
    printf '%s' "$pid"
    return 0
  fi
  [[ -f "$dir/kafka.pid" ]] && rm -f "$dir/kafka.pid"
  return 0
}

# Number of running nodes of broker-count N.
kafka_running_count() {
  local n="$1" i c=0
  for ((i = 1; i <= n; i++)); do [[ -n "$(kafka_node_pid "$n" "$i")" ]] && c=$((c + 1)); done
  printf '%s' "$c"
}

# Broker count recorded by the last `up`/`start kafka` (default 1).
last_kafka_brokers() {
  local b=""
  [[ -f "$KAFKA_STATE/brokers" ]] && b="$(tr -dc '0-9' <"$KAFKA_STATE/brokers")"
  [[ "$b" == 3 ]] && printf 3 || printf 1
}

write_server_properties() {
  local n="$1" id="$2" dir voters="" i min_isr
  dir="$(node_dir "$n" "$id")"
  for ((i = 1; i <= n; i++)); do voters+="${voters:+,}$i@127.0.0.1:$(controller_port "$i")"; done
  if ((n == 1)); then min_isr=1; else min_isr=2; fi
  mkdir -p "$dir/data" "$dir/logs"
  cat >"$dir/server.properties" <<EOF
# Generated by tools/infra/infra.sh - do not edit (rewritten on every start).
# Storeloop local Kafka ($n broker(s)), node $id: combined broker + KRaft controller.
process.roles=broker,controller
node.id=$id
controller.quorum.voters=$voters
listeners=PLAINTEXT://127.0.0.1:$(client_port "$id"),CONTROLLER://127.0.0.1:$(controller_port "$id")
advertised.listeners=PLAINTEXT://127.0.0.1:$(client_port "$id")
inter.broker.listener.name=PLAINTEXT
controller.listener.names=CONTROLLER
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=$dir/data

# dev/test defaults
num.partitions=3
default.replication.factor=$n
min.insync.replicas=$min_isr
offsets.topic.replication.factor=$n
transaction.state.log.replication.factor=$n
transaction.state.log.min.isr=$min_isr
share.coordinator.state.topic.replication.factor=$n
share.coordinator.state.topic.min.isr=$min_isr
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=false
delete.topic.enable=true
num.network.threads=2
num.io.threads=4
num.recovery.threads.per.data.dir=1
log.retention.hours=168
log.segment.bytes=104857600
EOF
}

kafka_log_tail() {
  local dir="$1"
  {
    local off=0
    [[ -f "$dir/logs/.start-offset" ]] && off="$(tr -dc '0-9' <"$dir/logs/.start-offset")"
    echo "----- $(rel "$dir")/logs/server.log (tail, this start only) -----"
    if [[ -f "$dir/logs/server.log" ]]; then
      tail -c +$((${off:-0} + 1)) "$dir/logs/server.log" | tail -n 40
    else
      echo "(no server.log)"
    fi
    if [[ -s "$dir/logs/kafka.out" ]]; then
      echo "----- $(rel "$dir")/logs/kafka.out (tail) -----"
      tail -n 20 "$dir/logs/kafka.out"
    fi
    echo "-----"
  } >&2
}

# Format storage of every node that has none yet (shared cluster id per mode).
kafka_format_if_needed() {
  local n="$1" mdir id dir cid t0 out
  mdir="$(mode_dir "$n")"
  mkdir -p "$mdir"
  for ((id = 1; id <= n; id++)); do
    dir="$(node_dir "$n" "$id")"
    [[ -f "$dir/data/meta.properties" ]] && continue
    if [[ ! -s "$mdir/cluster.id" ]]; then
      kafka_class kafka.tools.StorageTool random-uuid | tr -d '[:space:]' >"$mdir/cluster.id"
      [[ -s "$mdir/cluster.id" ]] || die "kafka: could not generate a cluster id"
    fi
    cid="$(cat "$mdir/cluster.id")"
    t0="$(now_ms)"
    if ! out="$(kafka_class kafka.tools.StorageTool format -t "$cid" -c "$dir/server.properties" 2>&1)"; then
      printf '%s\n' "$out" >&2
      die "kafka: formatting storage of node $id failed"
    fi
    log "kafka: formatted node $id storage (cluster id $cid) in $(elapsed "$t0")"
  done
}

kafka_start_node() {
  local n="$1" id="$2" dir pid
  dir="$(node_dir "$n" "$id")"
  # Remember where this start begins in server.log (for failure diagnostics).
  if [[ -f "$dir/logs/server.log" ]]; then wc -c <"$dir/logs/server.log" | tr -d ' ' >"$dir/logs/.start-offset"; else echo 0 >"$dir/logs/.start-offset"; fi
  # Detach from our session so the broker outlives this script/npm (setsid is
  # util-linux; plain nohup elsewhere).
  local detach=(nohup)
  command -v setsid >/dev/null 2>&1 && detach=(setsid nohup)
  # shellcheck disable=SC2086 # KAFKA_HEAP_OPTS is intentionally word-split
  "${detach[@]}" "$JAVA_BIN" $KAFKA_HEAP_OPTS \
    -server -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35 \
    -XX:+ExplicitGCInvokesConcurrent -XX:+ExitOnOutOfMemoryError -Djava.awt.headless=true \
    -Dkafka.logs.dir="$dir/logs" \
    -Dlog4j2.configurationFile="$KAFKA_RES_DIR/log4j2.yaml" \
    -cp "$KAFKA_LIBS/*" kafka.Kafka "$dir/server.properties" \
    >"$dir/logs/kafka.out" 2>&1 </dev/null 9>&- &
  pid=$!
  printf '%s\n' "$pid" >"$dir/kafka.pid"
  printf '%s\n' "$KAFKA_VERSION" >"$dir/kafka.version"
  log "kafka: started node $id (pid $pid, 127.0.0.1:$(client_port "$id"))"
}

# Wait until a metadata request through the bootstrap address lists N brokers.
kafka_wait_ready() {
  local n="$1" t0="$2" deadline i pid dir out count bs timeout
  bs="$(bootstrap_servers "$n")"
  timeout="${READY_TIMEOUT:-$((n == 3 ? 90 : 60))}"
  deadline=$(($(date +%s) + timeout))
  while :; do
    for ((i = 1; i <= n; i++)); do
      dir="$(node_dir "$n" "$i")"
      pid="$(read_pidfile "$dir/kafka.pid")"
      if ! pid_alive "$pid"; then
        kafka_log_tail "$dir"
        die "kafka: node $i (pid ${pid:-?}) exited during startup; see log above"
      fi
    done
    if port_in_use "$(client_port 1)"; then
      out="$(kafka_class org.apache.kafka.tools.BrokerApiVersionsCommand \
        --bootstrap-server "$bs" 2>/dev/null || true)"
      count="$(grep -c '(id: [0-9]* rack' <<<"$out" || true)"
      if [[ "$count" == "$n" ]] &&
        kafka_class org.apache.kafka.tools.TopicCommand --bootstrap-server "$bs" --list >/dev/null 2>&1; then
        log "kafka: ready on $bs ($n broker(s) registered) in $(elapsed "$t0")"
        return 0
      fi
    fi
    if (($(date +%s) >= deadline)); then
      for ((i = 1; i <= n; i++)); do kafka_log_tail "$(node_dir "$n" "$i")"; done
      die "kafka: not ready after ${timeout} s (expected $n registered broker(s), saw ${count:-0})"
    fi
    sleep 1
  done
}

# Checks before starting anything: broker-count switch and foreign port owners.
kafka_preflight() {
  local n="$1" other i
  if [[ "$n" == 3 ]]; then other=1; else other=3; fi
  if [[ "$(kafka_running_count "$other")" != 0 ]]; then
    die "kafka is running with $other broker(s), but $n was requested. Switching the broker count needs a stop first: run 'infra.sh down' (or 'infra.sh stop kafka'), then 'infra.sh up --brokers $n'."
  fi
  for ((i = 1; i <= n; i++)); do
    [[ -n "$(kafka_node_pid "$n" "$i")" ]] && continue
    ensure_port_free_or_ours "$(client_port "$i")" "kafka node $i"
    ensure_port_free_or_ours "$(controller_port "$i")" "kafka node $i (controller)"
  done
}

kafka_up() {
  local n="$1" i pid t0 pids=()
  kafka_preflight "$n"
  require_java
  ensure_kafka_libs
  mkdir -p "$KAFKA_STATE"
  printf '%s\n' "$n" >"$KAFKA_STATE/brokers"

  for ((i = 1; i <= n; i++)); do
    pid="$(kafka_node_pid "$n" "$i")"
    [[ -n "$pid" ]] && pids+=("$pid")
  done

  t0="$(now_ms)"
  if ((${#pids[@]} == n)); then
    log "kafka: already running ($n broker(s), pid(s) ${pids[*]}); checking readiness"
  else
    for ((i = 1; i <= n; i++)); do
      [[ -n "$(kafka_node_pid "$n" "$i")" ]] && continue
      write_server_properties "$n" "$i"
    done
    kafka_format_if_needed "$n"
    t0="$(now_ms)"
    for ((i = 1; i <= n; i++)); do
      [[ -n "$(kafka_node_pid "$n" "$i")" ]] && continue
      kafka_start_node "$n" "$i"
    done
  fi
  kafka_wait_ready "$n" "$t0"
}

kafka_stop() {
  local n i pid pids=() t0
  for n in 1 3; do
    for ((i = 1; i <= n; i++)); do
      pid="$(kafka_node_pid "$n" "$i")"
      [[ -n "$pid" ]] && pids+=("$pid")
    done
  done
  if ((${#pids[@]} == 0)); then
    log "kafka: not running"
    return 0
  fi
  t0="$(now_ms)"
  log "kafka: stopping pid(s) ${pids[*]} ..."
  stop_pids kafka "${pids[@]}"
  for n in 1 3; do
    for ((i = 1; i <= n; i++)); do rm -f "$(node_dir "$n" "$i")/kafka.pid"; done
  done
  log "kafka: stopped in $(elapsed "$t0")"
}

# ------------------------------------------------------------------- redis --
redis_pidfile() { printf '%s' "$REDIS_STATE/redis.pid"; }

redis_pid() {
  local pid
  pid="$(read_pidfile "$(redis_pidfile)")"
  if [[ -n "$pid" ]] && pid_alive "$pid" && [[ "$(pid_args "$pid")" == *redis-server* ]]; then
    printf '%s' "$pid"
    return 0
  fi
  [[ -f "$(redis_pidfile)" ]] && rm -f "$(redis_pidfile)"
  return 0
}

# Stop a distro redis service that apt's postinst may have started on our port.
stop_distro_redis_service() {
  if [[ -d /run/systemd/system ]] && command -v systemctl >/dev/null 2>&1; then
    systemctl stop redis-server >/dev/null 2>&1 || true
    systemctl disable redis-server >/dev/null 2>&1 || true
  fi
  if command -v service >/dev/null 2>&1; then
    service redis-server stop >/dev/null 2>&1 || true
  elif [[ -x /etc/init.d/redis-server ]]; then
    /etc/init.d/redis-server stop >/dev/null 2>&1 || true
  fi
}

require_redis() {
  if command -v redis-server >/dev/null 2>&1 && command -v redis-cli >/dev/null 2>&1; then
    return 0
  fi
  local hint="apt-get update && apt-get install -y redis-server   (macOS: brew install redis)"
  if [[ "$(id -u)" != 0 ]]; then
    die "redis-server/redis-cli not found. Install them, e.g.: sudo apt-get update && sudo apt-get install -y redis-server   (macOS: brew install redis)"
  fi
  command -v apt-get >/dev/null 2>&1 || die "redis-server/redis-cli not found and apt-get is unavailable; install Redis 7 (redis-server + redis-cli) and retry."
  local t0 port_was_busy=0 pid
  port_in_use "$REDIS_PORT" && port_was_busy=1
  t0="$(now_ms)"
  log "redis: redis-server not found; installing with apt-get (running as root) ..."
  if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server; } >"$STATE_DIR/apt-redis.log" 2>&1; then
    tail -n 30 "$STATE_DIR/apt-redis.log" >&2
    die "redis: apt-get install redis-server failed (log: $STATE_DIR/apt-redis.log)"
  fi
  log "redis: installed redis $(redis-server --version | sed -n 's/.*v=\([^ ]*\).*/\1/p') in $(elapsed "$t0")"
  # Debian's postinst may start its own redis service on 6379; we manage ours.
  if ((port_was_busy == 0)) && port_in_use "$REDIS_PORT"; then
    pid="$(port_pid "$REDIS_PORT")"
    if [[ -z "$pid" || "$(pid_args "$pid")" == *redis-server* ]]; then
      log "redis: stopping the distro redis-server service started by apt (we run our own)"
      stop_distro_redis_service
      wait_port_free "$REDIS_PORT" 10 || true
    fi
  fi
}

redis_up() {
  local pid t0 dir conf deadline
  require_redis
  pid="$(redis_pid)"
  t0="$(now_ms)"
  if [[ -n "$pid" ]]; then
    ensure_port_free_or_ours "$REDIS_PORT" redis "$pid"
    log "redis: already running (pid $pid)"
  else
    ensure_port_free_or_ours "$REDIS_PORT" redis
    dir="$REDIS_STATE"
    conf="$dir/redis.conf"
    mkdir -p "$dir/data"
    cat >"$conf" <<EOF
# Generated by tools/infra/infra.sh - do not edit (rewritten on every start).
bind 127.0.0.1
protected-mode yes
port $REDIS_PORT
daemonize yes
pidfile "$dir/redis.pid"
logfile "$dir/redis.log"
dir "$dir/data"
appendonly yes
appendfsync everysec
EOF
    if ! redis-server "$conf" >"$dir/redis.out" 2>&1 </dev/null 9>&-; then
      cat "$dir/redis.out" >&2
      tail -n 20 "$dir/redis.log" 2>/dev/null >&2 || true
      die "redis: redis-server failed to start"
    fi
  fi
  deadline=$(($(date +%s) + ${READY_TIMEOUT:-60}))
  until [[ "$(redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null || true)" == PONG ]]; do
    if (($(date +%s) >= deadline)); then
      tail -n 20 "$REDIS_STATE/redis.log" 2>/dev/null >&2 || true
      die "redis: no PONG on 127.0.0.1:$REDIS_PORT after ${READY_TIMEOUT:-60} s"
    fi
    sleep 0.2
  done
  pid="$(redis_pid)"
  [[ -n "$pid" ]] || die "redis: answered PONG but our pidfile $(redis_pidfile) has no live redis-server"
  log "redis: ready on 127.0.0.1:$REDIS_PORT (pid $pid) in $(elapsed "$t0")"
}

redis_stop() {
  local pid t0
  pid="$(redis_pid)"
  if [[ -z "$pid" ]]; then
    log "redis: not running"
    return 0
  fi
  t0="$(now_ms)"
  log "redis: stopping pid $pid ..."
  stop_pids redis "$pid"
  rm -f "$(redis_pidfile)"
  log "redis: stopped in $(elapsed "$t0")"
}

# ----------------------------------------------------------------- status --
cmd_status() {
  local ok=0 pid ver n i dir addr
  if pid="$(redis_pid)" && [[ -n "$pid" ]]; then
    ver="$(redis-cli -h 127.0.0.1 -p "$REDIS_PORT" info server 2>/dev/null | sed -n 's/^redis_version:\([^[:space:]]*\).*/\1/p' || true)"
    printf '%-9s %-8s pid %-8s %-16s version %-8s data %s\n' redis running "$pid" "127.0.0.1:$REDIS_PORT" "${ver:-?}" "$(rel "$REDIS_STATE/data")"
  else
    printf '%-9s %-8s pid %-8s %-16s version %-8s data %s\n' redis stopped - "127.0.0.1:$REDIS_PORT" - "$(rel "$REDIS_STATE/data")"
    ok=3
  fi
  n="$(last_kafka_brokers)"
  [[ "$(kafka_running_count 3)" != 0 ]] && n=3
  [[ "$(kafka_running_count 1)" != 0 ]] && n=1
  for ((i = 1; i <= n; i++)); do
    dir="$(node_dir "$n" "$i")"
    addr="127.0.0.1:$(client_port "$i")"
    pid="$(kafka_node_pid "$n" "$i")"
    ver="$(cat "$dir/kafka.version" 2>/dev/null || printf '%s' "$KAFKA_VERSION")"
    if [[ -n "$pid" ]]; then
      printf '%-9s %-8s pid %-8s %-16s version %-8s data %s\n' "kafka-$i" running "$pid" "$addr" "$ver" "$(rel "$dir/data")"
    else
      printf '%-9s %-8s pid %-8s %-16s version %-8s data %s\n' "kafka-$i" stopped - "$addr" "$ver" "$(rel "$dir/data")"
      ok=3
    fi
  done
  printf 'kafka mode: %s broker(s); bootstrap %s\n' "$n" "$(bootstrap_servers "$n")"
  return "$ok"
}

# ------------------------------------------------------------------- down --
cmd_down() {
  local purge="$1" leftovers=0 port pid p
  kafka_stop
  redis_stop
  for port in "$(client_port 1)" "$(client_port 2)" "$(client_port 3)" "$(controller_port 1)" "$(controller_port 2)" "$(controller_port 3)" "$REDIS_PORT"; do
    if ! wait_port_free "$port" 5; then
      pid="$(port_pid "$port")"
      warn "port $port is still in use by $(describe_port_owner "$port") (not started by infra.sh)"
      [[ -n "$pid" ]] && [[ "$(pid_args "$pid")" == *"$STATE_DIR"* ]] && leftovers=1
    fi
  done
  # Anything still running that points at our state dir is a leftover of ours.
  for p in $(pgrep -f "kafka.Kafka $STATE_DIR/" 2>/dev/null || true); do
    warn "leftover process $p: $(pid_args "$p" | cut -c1-120)"
    leftovers=1
  done
  ((leftovers == 0)) || die "down: some processes of ours are still running"
  if [[ "$purge" == 1 ]]; then
    rm -rf "$KAFKA_STATE/single" "$KAFKA_STATE/cluster3" "$KAFKA_STATE/brokers" "$REDIS_STATE"
    log "purged data under $(rel "$STATE_DIR") (kept the jar cache $(rel "$KAFKA_STATE/libs"))"
  fi
  log "down: nothing of ours is running; ports free"
}

# ------------------------------------------------------------------- main --
usage() {
  cat <<EOF
Usage: bash tools/infra/infra.sh <command> [options]

Commands:
  up [--brokers 1|3]     start Redis + Kafka (default 1 broker); idempotent
  down [--purge]         stop Kafka + Redis (SIGTERM, then SIGKILL after ${STOP_TIMEOUT} s);
                         --purge also deletes the data (keeps the jar cache)
  status                 per component: state, pid, address, version, data dir;
                         exit 0 if all expected components run, 3 otherwise
  start redis            start only Redis
  start kafka [--brokers 1|3]   start only Kafka (default: last used broker count)
  stop redis | stop kafka       stop a single component
  kafka-class <main.Class> [args...]   run a Kafka CLI class, e.g.
                         kafka-class org.apache.kafka.tools.ConsoleProducer --bootstrap-server 127.0.0.1:9092 --topic t
  topics [args...]       org.apache.kafka.tools.TopicCommand (adds --bootstrap-server if missing)
  help                   this text

Ports (all on 127.0.0.1):
  1 broker : Kafka clients 9092, controller 19092 (node.id 1)
  3 brokers: Kafka clients 9092,9093,9094, controllers 19092,19093,19094
  Redis    : \$REDIS_PORT (default 6379)
  Switching between 1 and 3 brokers requires 'down' first.

Environment:
  STORELOOP_INFRA_DIR  state dir            (now: $STATE_DIR)
  KAFKA_VERSION        Kafka version        (now: $KAFKA_VERSION; pom default $POM_KAFKA_VERSION)
  KAFKA_HEAP_OPTS      broker JVM heap      (now: $KAFKA_HEAP_OPTS)
  REDIS_PORT           Redis port           (now: $REDIS_PORT)
  JAVA_HOME            Java 17+ to use      (default: java on PATH)
  INFRA_READY_TIMEOUT  readiness wait, s    (now: ${READY_TIMEOUT:-60 for 1 broker / 90 for 3})
EOF
}

parse_brokers() {
  # parse_brokers DEFAULT ARGS... -> prints broker count
  local b="$1"
  shift
  while (($#)); do
    case "$1" in
      --brokers)
        (($# >= 2)) || die "--brokers needs a value (1 or 3)"
        b="$2"
        shift 2
        ;;
      --brokers=*)
        b="${1#--brokers=}"
        shift
        ;;
      *) die "unknown option: $1 (see: infra.sh help)" ;;
    esac
  done
  [[ "$b" == 1 || "$b" == 3 ]] || die "--brokers must be 1 or 3 (got '$b')"
  printf '%s' "$b"
}

main() {
  local cmd="${1:-help}" n
  (($#)) && shift
  case "$cmd" in
    up)
      n="$(parse_brokers 1 "$@")"
      acquire_lock
      local t0
      t0="$(now_ms)"
      kafka_preflight "$n"
      [[ -n "$(redis_pid)" ]] || ensure_port_free_or_ours "$REDIS_PORT" redis
      redis_up
      kafka_up "$n"
      log "infra: up in $(elapsed "$t0") - Kafka $(bootstrap_servers "$n"), Redis 127.0.0.1:$REDIS_PORT"
      ;;
    down)
      local purge=0
      while (($#)); do
        case "$1" in
          --purge) purge=1 ;;
          *) die "unknown option for down: $1" ;;
        esac
        shift
      done
      acquire_lock
      cmd_down "$purge"
      ;;
    status)
      (($# == 0)) || die "status takes no options"
      cmd_status
      ;;
    start | stop)
      local comp="${1:-}"
      (($#)) && shift
      case "$comp" in
        redis)
          (($# == 0)) || die "$cmd redis takes no options"
          acquire_lock
          if [[ "$cmd" == start ]]; then redis_up; else redis_stop; fi
          ;;
        kafka)
          acquire_lock
          if [[ "$cmd" == start ]]; then
            n="$(parse_brokers "$(last_kafka_brokers)" "$@")"
            kafka_up "$n"
          else
            (($# == 0)) || die "stop kafka takes no options"
            kafka_stop
          fi
          ;;
        *) die "usage: infra.sh $cmd redis|kafka" ;;
      esac
      ;;
    kafka-class)
      (($#)) || die "usage: infra.sh kafka-class <main.Class> [args...]"
      kafka_class "$@"
      ;;
    topics)
      local a has_bs=0
      for a in "$@"; do [[ "$a" == --bootstrap-server* ]] && has_bs=1; done
      if ((has_bs)); then
        kafka_class org.apache.kafka.tools.TopicCommand "$@"
      else
        kafka_class org.apache.kafka.tools.TopicCommand --bootstrap-server "$(bootstrap_servers "$(last_kafka_brokers)")" "$@"
      fi
      ;;
    help | -h | --help) usage ;;
    *)
      usage >&2
      die "unknown command: $cmd"
      ;;
  esac
}

main "$@"
