#!/bin/sh
# A Sentinel of compose.ha.yaml. Sentinel rewrites its configuration as it learns the group
# (replicas, other Sentinels, the current primary and epoch): each keeps its own copy in its
# volume, written here at first start only, and read back as Sentinel left it afterwards.
set -eu
conf=/data/sentinel.conf
if [ ! -s "$conf" ]; then
  cat >"$conf" <<CONF
port 26379
protected-mode no
# Names, not addresses: a container that restarts comes back with another address.
sentinel resolve-hostnames yes
sentinel announce-hostnames yes
sentinel announce-ip ${SENTINEL_NAME}
sentinel monitor ${MASTER_NAME} ${MASTER_HOST} 6379 ${QUORUM}
sentinel down-after-milliseconds ${MASTER_NAME} ${DOWN_AFTER_MS}
sentinel failover-timeout ${MASTER_NAME} ${FAILOVER_TIMEOUT_MS}
sentinel parallel-syncs ${MASTER_NAME} 1
CONF
fi
exec docker-entrypoint.sh redis-server "$conf" --sentinel
