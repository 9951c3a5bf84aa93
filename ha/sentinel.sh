#!/bin/sh
# A Sentinel of compose.ha.yaml. Sentinel rewrites its configuration as it learns the group
# (replicas, other Sentinels, the current primary and epoch): each keeps its own copy in its
# volume, written here at first start only, and read back as Sentinel left it afterwards.
#
# Clients log in (the users of /run/secrets/sentinel/users.acl; the default user is off), and
# Sentinel logs in as the sentinel user both to the other Sentinels and to the Redis nodes. Its
# password is written into the configuration at every start, from the redis-secrets volume,
# so that new secrets replace old ones.
set -eu
umask 077
conf=/data/sentinel.conf
secrets=/run/secrets/sentinel
if [ ! -s "$conf" ]; then
  cat >"$conf" <<CONF
port 26379
protected-mode no
# Names, not addresses: a container that restarts comes back with another address. Sentinel
# looks a name up in its one thread, a dead node's every second: Docker's DNS answers that at
# once on the stack's internal network (compose.ha.yaml), where it asks no other resolver.
sentinel resolve-hostnames yes
sentinel announce-hostnames yes
sentinel announce-ip ${SENTINEL_NAME}
sentinel monitor ${MASTER_NAME} ${MASTER_HOST} 6379 ${QUORUM}
sentinel down-after-milliseconds ${MASTER_NAME} ${DOWN_AFTER_MS}
sentinel failover-timeout ${MASTER_NAME} ${FAILOVER_TIMEOUT_MS}
sentinel parallel-syncs ${MASTER_NAME} 1
CONF
fi
password=$(cat "$secrets/password")
sed -i -E '/^(aclfile |sentinel (sentinel-user|sentinel-pass|auth-user|auth-pass) )/d' "$conf"
cat >>"$conf" <<CONF
aclfile $secrets/users.acl
sentinel sentinel-user sentinel
sentinel sentinel-pass $password
sentinel auth-user ${MASTER_NAME} sentinel
sentinel auth-pass ${MASTER_NAME} $password
CONF
exec docker-entrypoint.sh redis-server "$conf" --sentinel
