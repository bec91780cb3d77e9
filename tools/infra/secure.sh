#!/usr/bin/env bash
# tools/infra/secure.sh - a *secured* local Kafka + Redis, next to (never instead
# of) the plain ones of tools/infra/infra.sh, to prove the services speak
# SASL/SCRAM + TLS to Kafka and ACL + TLS to Redis. Used by
# tools/infra/test/secure-transport.int-spec.ts; handy by hand too.
#
# Commands:
#   up       start both (idempotent: a running pair is kept with its credentials;
#            otherwise the state is wiped and a fresh CA, certificates and random
#            passwords are made, and Kafka storage is formatted with the SCRAM users)
#   down [--purge]   stop what this script started (pidfiles); --purge wipes the state
#   status   state of each; exit 0 if both run, 3 otherwise
#   env      print the client settings (KAFKA_*, REDIS_*) as KEY=value lines; exit 3 if not up
#   help
#
# What runs (all bound to 127.0.0.1):
#   Kafka (KRaft, one combined broker+controller node, node.id 1, the jars infra.sh
#   resolves; no Docker):
#     9192  listener SASL_SSL: SASL/SCRAM-SHA-512 over TLS. Clients AND inter-broker
#           traffic (the broker authenticates as SCRAM user "admin"); no PLAINTEXT
#           client listener exists.
#     19192 controller listener, PLAINTEXT on loopback (KRaft controller APIs only;
#           SCRAM cannot secure a controller listener, its credentials live in the
#           metadata the controller serves).
#     SCRAM users (created at format time with StorageTool --add-scram):
#       admin      the broker itself (inter-broker)
#       storeloop  the services
#     Authentication only: no authorizer, so an authenticated user may do anything.
#   Redis (Debian's redis-server, built with TLS):
#     6390  TLS only (port 0, tls-port 6390; no client certificates required)
#     ACL: "default" user off; user "storeloop" (password stored hashed in the
#     config) with every command except @dangerous, plus INFO (ioredis' ready
#     check), on every key (~*), no pub/sub channels.
#   TLS: a throwaway CA and one server certificate (SAN 127.0.0.1, localhost),
#     made with openssl under the state dir; clients trust tls/ca.pem.
#
# State (certificates, passwords, configs, data, logs, pidfiles):
#   <repo>/.local/infra-secure (git-ignored), files holding secrets are mode 0600.
#   secure.env there is what `env` prints.
#
# Environment overrides:
#   STORELOOP_SECURE_INFRA_DIR  state dir (default <repo>/.local/infra-secure)
#   STORELOOP_INFRA_DIR         where infra.sh keeps the Kafka jars (default <repo>/.local/infra)
#   KAFKA_VERSION               Kafka version (default: tools/infra/kafka/pom.xml)
#   KAFKA_HEAP_OPTS             broker heap (default "-Xmx512m -Xms128m")
#   JAVA_HOME                   Java 17+ (default: java on PATH)
#   SECURE_READY_TIMEOUT        seconds to wait for readiness (default 150)
set -euo pipefail
umask 077

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$SCRIPT_DIR/../.." && pwd)"
INFRA_SH="$SCRIPT_DIR/infra.sh"
KAFKA_RES_DIR="$SCRIPT_DIR/kafka"

STATE="${STORELOOP_SECURE_INFRA_DIR:-$REPO_ROOT/.local/infra-secure}"
TLS_DIR="$STATE/tls"
KDIR="$STATE/kafka"
RDIR="$STATE/redis"
ENV_FILE="$STATE/secure.env"

POM_KAFKA_VERSION="$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$KAFKA_RES_DIR/pom.xml" | head -n1)"
KAFKA_VERSION="${KAFKA_VERSION:-$POM_KAFKA_VERSION}"
# Same jar dir as infra.sh's ensure_kafka_libs (filled by `infra.sh kafka-class`).
KAFKA_LIBS="${STORELOOP_INFRA_DIR:-$REPO_ROOT/.local/infra}/kafka/libs/$KAFKA_VERSION"
KAFKA_HEAP_OPTS="${KAFKA_HEAP_OPTS:--Xmx512m -Xms128m}"
READY_TIMEOUT="${SECURE_READY_TIMEOUT:-150}"

KAFKA_PORT=9192
KAFKA_CONTROLLER_PORT=19192
REDIS_PORT=6390
STOP_TIMEOUT=30

log() { printf 'secure: %s\n' "$*"; }
die() {
  printf 'secure: ERROR: %s\n' "$*" >&2
  exit 1
}
[[ "$READY_TIMEOUT" =~ ^[0-9]+$ ]] || die "SECURE_READY_TIMEOUT must be a number of seconds"

pid_alive() {
  [[ -n "${1:-}" ]] && kill -0 "$1" 2>/dev/null || return 1
  [[ "$(ps -o stat= -p "$1" 2>/dev/null || true)" != Z* ]]
}
pid_args() { ps -ww -o args= -p "$1" 2>/dev/null || true; }
read_pidfile() {
  if [[ -f "$1" ]]; then tr -dc '0-9' <"$1" || true; fi
}

port_in_use() {
  if command -v ss >/dev/null 2>&1; then
    [[ -n "$(ss -Hltn "sport = :$1" 2>/dev/null)" ]]
  else
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
  fi
}
port_owner() {
  local pid=""
  command -v ss >/dev/null 2>&1 && pid="$(ss -Hltnp "sport = :$1" 2>/dev/null | grep -o 'pid=[0-9]*' | head -n1 | cut -d= -f2 || true)"
  if [[ -n "$pid" ]]; then printf 'pid %s (%s)' "$pid" "$(pid_args "$pid" | cut -c1-100)"; else printf 'an unknown process'; fi
}
require_free_port() {
  port_in_use "$1" && die "$2: port $1 is already in use by $(port_owner "$1"); stop it and retry"
  return 0
}

# Our Kafka: the pidfile's process runs kafka.Kafka with our log dir. (The broker
# is started from $KDIR with a relative ./server.properties, so infra.sh's
# leftover check, `pgrep -f "kafka.Kafka <repo>/.local/infra"`, never takes it
# for one of its own.)
kafka_pid() {
  local pid args
  pid="$(read_pidfile "$KDIR/kafka.pid")"
  pid_alive "$pid" || return 0
  args="$(pid_args "$pid")"
  if [[ "$args" == *"-Dkafka.logs.dir=$KDIR/logs "* && "$args" == *"kafka.Kafka ./server.properties"* ]]; then printf '%s' "$pid"; fi
  return 0
}
# Our Redis: the pidfile's redis-server works in our data dir.
redis_pid() {
  local pid
  pid="$(read_pidfile "$RDIR/redis.pid")"
  if pid_alive "$pid" && [[ "$(pid_args "$pid")" == redis-server* ]] &&
    [[ "$(readlink "/proc/$pid/cwd" 2>/dev/null || printf '%s' "$RDIR/data")" == "$RDIR/data" ]]; then
    printf '%s' "$pid"
  fi
  return 0
}

stop_pid() {
  local what="$1" pid="$2" deadline
  [[ -n "$pid" ]] || return 0
  kill -TERM "$pid" 2>/dev/null || true
  deadline=$(($(date +%s) + STOP_TIMEOUT))
  while pid_alive "$pid"; do
    if (($(date +%s) >= deadline)); then
      log "$what (pid $pid) did not stop within ${STOP_TIMEOUT} s; SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
      sleep 1
      break
    fi
    sleep 0.2
  done
  log "$what stopped (pid $pid)"
}

acquire_lock() {
  mkdir -p "$STATE"
  if command -v flock >/dev/null 2>&1; then
    exec 9>"$STATE/.lock"
    flock -w 300 9 || die "another secure.sh is running (lock $STATE/.lock)"
  fi
}

JAVA_BIN=""
require_tools() {
  if [[ -n "${JAVA_HOME:-}" && -x "$JAVA_HOME/bin/java" ]]; then JAVA_BIN="$JAVA_HOME/bin/java"; else JAVA_BIN="$(command -v java || true)"; fi
  [[ -n "$JAVA_BIN" ]] || die "java not found (Kafka needs Java 17+; set JAVA_HOME)"
  command -v openssl >/dev/null 2>&1 || die "openssl not found (needed for the throwaway CA; apt-get install -y openssl)"
  if ! command -v redis-server >/dev/null 2>&1 || ! command -v redis-cli >/dev/null 2>&1; then
    die "redis-server/redis-cli not found (apt-get install -y redis-server, or run tools/infra/infra.sh up once)"
  fi
}

# --------------------------------------------------------------- material --
new_secret() { openssl rand -hex 24; }

make_tls() {
  mkdir -p "$TLS_DIR"
  local out
  if ! out="$(
    set -e
    cd "$TLS_DIR"
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=storeloop-secure-test-ca" \
      -keyout ca.key -out ca.pem 2>&1
    openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" -keyout server.key -out server.csr 2>&1
    printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\nkeyUsage=digitalSignature,keyEncipherment\n' >server.ext
    openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 -extfile server.ext -out server.crt 2>&1
    # Kafka's PEM keystore: an unencrypted PKCS#8 key followed by the certificate chain.
    openssl pkcs8 -topk8 -nocrypt -in server.key -out server.pk8 2>&1
    cat server.pk8 server.crt ca.pem >kafka-keystore.pem
    rm -f server.csr server.ext ca.srl server.pk8
    chmod 644 ca.pem server.crt
  )"; then
    printf '%s\n' "$out" >&2
    die "openssl could not make the test CA and certificate"
  fi
}

write_credentials() {
  cat >"$STATE/credentials" <<EOF
KAFKA_ADMIN_PASSWORD=$(new_secret)
KAFKA_PASSWORD=$(new_secret)
REDIS_PASSWORD=$(new_secret)
EOF
}
load_credentials() {
  [[ -s "$STATE/credentials" ]] || die "no credentials in $STATE (run: secure.sh up)"
  # shellcheck disable=SC1091
  source "$STATE/credentials"
}

write_env_file() {
  cat >"$ENV_FILE" <<EOF
KAFKA_BROKERS=127.0.0.1:$KAFKA_PORT
KAFKA_SSL=true
KAFKA_SSL_CA_FILE=$TLS_DIR/ca.pem
KAFKA_SASL_MECHANISM=scram-sha-512
KAFKA_SASL_USERNAME=storeloop
KAFKA_SASL_PASSWORD=$KAFKA_PASSWORD
REDIS_URL=rediss://127.0.0.1:$REDIS_PORT/0
REDIS_TLS=true
REDIS_TLS_CA_FILE=$TLS_DIR/ca.pem
REDIS_USERNAME=storeloop
REDIS_PASSWORD=$REDIS_PASSWORD
EOF
}

# ------------------------------------------------------------------ kafka --
ensure_jars() {
  # infra.sh resolves the jars once (Maven) and caches them; reuse its cache.
  if ! compgen -G "$KAFKA_LIBS/kafka_2.13-*.jar" >/dev/null; then
    log "kafka: resolving the jars through infra.sh ..."
    bash "$INFRA_SH" kafka-class kafka.tools.StorageTool random-uuid >/dev/null ||
      die "could not resolve the Kafka jars (bash tools/infra/infra.sh kafka-class ... failed)"
  fi
  compgen -G "$KAFKA_LIBS/kafka_2.13-*.jar" >/dev/null || die "no Kafka jars in $KAFKA_LIBS"
}

kafka_tool() {
  "$JAVA_BIN" -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="$KAFKA_RES_DIR/log4j2-tools.yaml" -cp "$KAFKA_LIBS/*" "$@"
}

write_kafka_config() {
  mkdir -p "$KDIR/data" "$KDIR/logs"
  cat >"$KDIR/server.properties" <<EOF
# Generated by tools/infra/secure.sh - rewritten on every fresh start.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$KAFKA_CONTROLLER_PORT
listeners=SASL_SSL://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$KAFKA_CONTROLLER_PORT
advertised.listeners=SASL_SSL://127.0.0.1:$KAFKA_PORT
inter.broker.listener.name=SASL_SSL
controller.listener.names=CONTROLLER
listener.security.protocol.map=SASL_SSL:SASL_SSL,CONTROLLER:PLAINTEXT

sasl.enabled.mechanisms=SCRAM-SHA-512
sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512
listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="admin" password="$KAFKA_ADMIN_PASSWORD";

ssl.keystore.type=PEM
ssl.keystore.location=$TLS_DIR/kafka-keystore.pem
ssl.truststore.type=PEM
ssl.truststore.location=$TLS_DIR/ca.pem
ssl.client.auth=none
ssl.endpoint.identification.algorithm=https

log.dirs=$KDIR/data
num.partitions=3
default.replication.factor=1
min.insync.replicas=1
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=false
delete.topic.enable=true
num.network.threads=2
num.io.threads=4
num.recovery.threads.per.data.dir=1
EOF
  cat >"$KDIR/admin-client.properties" <<EOF
security.protocol=SASL_SSL
sasl.mechanism=SCRAM-SHA-512
sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="admin" password="$KAFKA_ADMIN_PASSWORD";
ssl.truststore.type=PEM
ssl.truststore.location=$TLS_DIR/ca.pem
EOF
}

kafka_format() {
  local cid out
  # A Kafka Uuid is 16 random bytes in unpadded base64url (what StorageTool random-uuid
  # prints); made here to spare a JVM start. Kafka avoids a leading "-" for CLI's sake.
  cid=-
  while [[ "$cid" == -* ]]; do cid="$(openssl rand 16 | base64 | tr '+/' '-_' | tr -d '=[:space:]')"; done
  [[ -n "$cid" ]] || die "kafka: could not generate a cluster id"
  if ! out="$(kafka_tool kafka.tools.StorageTool format -t "$cid" -c "$KDIR/server.properties" \
    --add-scram "SCRAM-SHA-512=[name=admin,password=$KAFKA_ADMIN_PASSWORD]" \
    --add-scram "SCRAM-SHA-512=[name=storeloop,password=$KAFKA_PASSWORD]" 2>&1)"; then
    printf '%s\n' "$out" | sed -e "s/$KAFKA_ADMIN_PASSWORD/***/g" -e "s/$KAFKA_PASSWORD/***/g" >&2
    die "kafka: formatting the storage failed"
  fi
  log "kafka: formatted (cluster id $cid, SCRAM-SHA-512 users admin and storeloop)"
}

kafka_log_tail() {
  {
    echo "----- $KDIR/logs/server.log (tail) -----"
    tail -n 40 "$KDIR/logs/server.log" 2>/dev/null || echo "(no server.log)"
    if [[ -s "$KDIR/logs/kafka.out" ]]; then
      echo "----- $KDIR/logs/kafka.out (tail) -----"
      tail -n 20 "$KDIR/logs/kafka.out"
    fi
  } >&2
}

kafka_start() {
  local detach=(nohup)
  command -v setsid >/dev/null 2>&1 && detach=(setsid nohup)
  # shellcheck disable=SC2086 # KAFKA_HEAP_OPTS is word-split on purpose
  (
    cd "$KDIR"
    exec "${detach[@]}" "$JAVA_BIN" $KAFKA_HEAP_OPTS \
      -server -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:+ExitOnOutOfMemoryError -Djava.awt.headless=true \
      -Dkafka.logs.dir="$KDIR/logs" -Dlog4j2.configurationFile="$KAFKA_RES_DIR/log4j2.yaml" \
      -cp "$KAFKA_LIBS/*" kafka.Kafka ./server.properties \
      >"$KDIR/logs/kafka.out" 2>&1 </dev/null 9>&-
  ) &
  printf '%s\n' "$!" >"$KDIR/kafka.pid"
  log "kafka: started (pid $!, SASL_SSL 127.0.0.1:$KAFKA_PORT)"
}

# Ready = the broker answers an ApiVersions request over SASL_SSL as "admin".
kafka_wait_ready() {
  local deadline=$(($(date +%s) + READY_TIMEOUT)) pid
  while :; do
    pid="$(read_pidfile "$KDIR/kafka.pid")"
    if ! pid_alive "$pid"; then
      kafka_log_tail
      die "kafka: the broker (pid ${pid:-?}) exited during start; see the log above"
    fi
    # Cheap first (no JVM): the broker logs this once its listeners are up.
    if grep -q 'Kafka Server started' "$KDIR/logs/server.log" 2>/dev/null && port_in_use "$KAFKA_PORT" &&
      kafka_tool org.apache.kafka.tools.BrokerApiVersionsCommand --bootstrap-server "127.0.0.1:$KAFKA_PORT" \
        --command-config "$KDIR/admin-client.properties" 2>/dev/null | grep -c '(id: 1 rack' >/dev/null; then
      log "kafka: ready on SASL_SSL 127.0.0.1:$KAFKA_PORT"
      return 0
    fi
    if (($(date +%s) >= deadline)); then
      kafka_log_tail
      die "kafka: not ready after ${READY_TIMEOUT} s (no SASL_SSL ApiVersions answer on 127.0.0.1:$KAFKA_PORT)"
    fi
    sleep 1
  done
}

# ------------------------------------------------------------------ redis --
redis_check_tls_build() {
  # Debian builds redis-server with TLS (it links libssl); a build without it
  # refuses tls-port, which redis_start reports from redis.log.
  local libs
  command -v ldd >/dev/null 2>&1 || return 0
  libs="$(ldd "$(command -v redis-server)" 2>/dev/null || true)"
  if [[ "$libs" != *libssl* ]]; then
    die "this redis-server ($(redis-server --version | cut -d' ' -f3)) was built without TLS; install a TLS build (Debian/Ubuntu redis-server 6+ has it)"
  fi
}

redis_start() {
  local hash
  mkdir -p "$RDIR/data"
  hash="$(printf '%s' "$REDIS_PASSWORD" | sha256sum | cut -d' ' -f1)"
  cat >"$RDIR/redis.conf" <<EOF
# Generated by tools/infra/secure.sh - rewritten on every fresh start.
bind 127.0.0.1
protected-mode yes
port 0
tls-port $REDIS_PORT
tls-cert-file $TLS_DIR/server.crt
tls-key-file $TLS_DIR/server.key
tls-ca-cert-file $TLS_DIR/ca.pem
tls-auth-clients no
daemonize yes
pidfile "$RDIR/redis.pid"
logfile "$RDIR/redis.log"
dir "$RDIR/data"
save ""
appendonly no
user default off
user storeloop on #$hash ~* resetchannels +@all -@dangerous +info
EOF
  rm -f "$RDIR/redis.pid"
  if ! redis-server "$RDIR/redis.conf" >"$RDIR/redis.out" 2>&1 </dev/null 9>&-; then
    cat "$RDIR/redis.out" >&2
    tail -n 20 "$RDIR/redis.log" >&2 2>/dev/null || true
    die "redis: redis-server failed to start"
  fi
}

redis_cli() {
  REDISCLI_AUTH="$REDIS_PASSWORD" redis-cli --tls --cacert "$TLS_DIR/ca.pem" -h 127.0.0.1 -p "$REDIS_PORT" --user storeloop --no-auth-warning "$@"
}

redis_wait_ready() {
  local deadline=$(($(date +%s) + READY_TIMEOUT))
  until [[ "$(redis_cli ping 2>/dev/null || true)" == PONG ]]; do
    if (($(date +%s) >= deadline)); then
      tail -n 20 "$RDIR/redis.log" >&2 2>/dev/null || true
      die "redis: no PONG over TLS as user storeloop on 127.0.0.1:$REDIS_PORT after ${READY_TIMEOUT} s"
    fi
    sleep 0.2
  done
  [[ -n "$(redis_pid)" ]] || die "redis: answers, but $RDIR/redis.pid names no redis-server of ours"
  log "redis: ready on TLS 127.0.0.1:$REDIS_PORT (ACL user storeloop, default user off)"
}

# --------------------------------------------------------------- commands --
cmd_up() {
  local t0 kpid rpid
  t0="$(date +%s)"
  require_tools
  acquire_lock
  kpid="$(kafka_pid)"
  rpid="$(redis_pid)"
  if [[ -n "$kpid" && -n "$rpid" && -s "$ENV_FILE" && -s "$STATE/credentials" ]]; then
    log "already running (kafka pid $kpid, redis pid $rpid); checking readiness"
    load_credentials
    ensure_jars
    redis_wait_ready
    kafka_wait_ready
    log "up in $(($(date +%s) - t0)) s; client settings: bash tools/infra/secure.sh env"
    return 0
  fi
  # A half-running pair has credentials we cannot trust to match: start afresh.
  stop_pid kafka "$kpid"
  stop_pid redis "$rpid"
  require_free_port "$KAFKA_PORT" kafka
  require_free_port "$KAFKA_CONTROLLER_PORT" "kafka (controller)"
  require_free_port "$REDIS_PORT" redis
  redis_check_tls_build
  ensure_jars
  rm -rf "$TLS_DIR" "$KDIR" "$RDIR" "$ENV_FILE" "$STATE/credentials"
  mkdir -p "$STATE"
  make_tls
  write_credentials
  load_credentials
  redis_start
  write_kafka_config
  kafka_format
  kafka_start
  redis_wait_ready
  kafka_wait_ready
  write_env_file
  log "up in $(($(date +%s) - t0)) s; client settings: bash tools/infra/secure.sh env"
}

cmd_down() {
  local purge="$1"
  acquire_lock
  local kpid rpid
  kpid="$(kafka_pid)"
  rpid="$(redis_pid)"
  [[ -z "$kpid" ]] && log "kafka: not running"
  [[ -z "$rpid" ]] && log "redis: not running"
  stop_pid kafka "$kpid"
  stop_pid redis "$rpid"
  rm -f "$KDIR/kafka.pid" "$RDIR/redis.pid" "$ENV_FILE"
  if [[ "$purge" == 1 ]]; then
    rm -rf "$TLS_DIR" "$KDIR" "$RDIR" "$STATE/credentials"
    log "purged $STATE"
  fi
}

cmd_status() {
  local ok=0 pid
  pid="$(kafka_pid)"
  if [[ -n "$pid" ]]; then
    printf '%-6s running pid %-8s SASL_SSL 127.0.0.1:%s (controller %s)\n' kafka "$pid" "$KAFKA_PORT" "$KAFKA_CONTROLLER_PORT"
  else
    printf '%-6s stopped\n' kafka
    ok=3
  fi
  pid="$(redis_pid)"
  if [[ -n "$pid" ]]; then
    printf '%-6s running pid %-8s TLS 127.0.0.1:%s\n' redis "$pid" "$REDIS_PORT"
  else
    printf '%-6s stopped\n' redis
    ok=3
  fi
  return "$ok"
}

cmd_env() {
  if [[ -z "$(kafka_pid)" || -z "$(redis_pid)" || ! -s "$ENV_FILE" ]]; then
    printf 'secure: not up (run: bash tools/infra/secure.sh up)\n' >&2
    return 3
  fi
  cat "$ENV_FILE"
}

usage() {
  sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed -e '$d' -e 's/^# \{0,1\}//'
}

main() {
  local cmd="${1:-help}"
  (($#)) && shift
  case "$cmd" in
    up)
      (($# == 0)) || die "up takes no options"
      cmd_up
      ;;
    down)
      local purge=0
      case "${1:-}" in
        "") ;;
        --purge) purge=1 ;;
        *) die "unknown option for down: $1" ;;
      esac
      cmd_down "$purge"
      ;;
    status) cmd_status ;;
    env) cmd_env ;;
    help | -h | --help) usage ;;
    *)
      usage >&2
      die "unknown command: $cmd"
      ;;
  esac
}

main "$@"
