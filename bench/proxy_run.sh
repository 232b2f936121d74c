#!/usr/bin/env bash
# What nginx with TLS in front of granian costs (issue 11), on the local PostgreSQL, in one run:
#
#   bash bench/proxy_run.sh
#
# One `whistle serve --no-worker` (granian, 2 workers) outside demo mode, configured as deploy/whistle.env.example
# says (WHISTLE_PUBLIC_URL at the nginx https address, WHISTLE_TRUSTED_PROXIES=127.0.0.1, keys of its own), and in
# front of it Debian's nginx running deploy/nginx/whistle.conf (names, ports and paths changed, as
# tests/deploy/stack.py does) with a fresh self-signed certificate. wrk measures, alternating round by round:
#   submit  POST /api/v1/cases with a bearer token (bench/post.lua)
#   rating  POST /r/<card>/ the public rating form (bench/ratings_post.lua)
# each through nginx over https and straight to granian over http with the headers nginx would add (X-Forwarded-For,
# X-Forwarded-Proto: https), so both sides run the same code with the same settings and differ only by the proxy.
#
# Settings: ROUNDS=3 DURATION=10 CLIENTS=32 PORT_BASE=18180 (granian PORT_BASE, nginx PORT_BASE+1 and +2).
# Database: bench_proxy (made here, Heze organisation and the ratings bench cards; kept). Raw outputs: bench/out/proxy/.
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-10}
CLIENTS=${CLIENTS:-32}
PORT_BASE=${PORT_BASE:-18180}
WEB_PORT=$PORT_BASE HTTP_PORT=$((PORT_BASE + 1)) HTTPS_PORT=$((PORT_BASE + 2))
PG=postgres://postgres@127.0.0.1:5432
PSQL=(psql -h 127.0.0.1 -U postgres -v ON_ERROR_STOP=1 -qtA)
PY=.venv/bin/python
WHISTLE=$PWD/.venv/bin/whistle
OUT=bench/out/proxy
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
rm -rf "$OUT" && mkdir -p "$OUT/nginx-temp" "$OUT/tls" "$OUT/var"
OUT=$(cd "$OUT" && pwd)
unset WHISTLE_FAST_HASHER WHISTLE_DEMO

log() { printf '== %s %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
key() { python3 -c 'import secrets; print(secrets.token_urlsafe(50))'; }

PUBLIC=https://127.0.0.1:$HTTPS_PORT
# The keys live for this run: prepare (tokens) and the server must hash alike.
export WHISTLE_DATABASE_URL=$PG/bench_proxy WHISTLE_SECRET_KEY=$(key) WHISTLE_HASH_KEY=$(key) WHISTLE_PUBLIC_URL=$PUBLIC \
  WHISTLE_TRUSTED_PROXIES=127.0.0.1 WHISTLE_VAR_DIR=$OUT/var

PIDS=()
stop() { for pid in "${PIDS[@]:-}"; do [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true; done; }
trap stop EXIT

{
  echo "date: $(date -u +%Y-%m-%dT%H:%MZ)"; echo "nproc: $(nproc)"; echo "memory: $(free -g | awk '/^Mem:/ {print $2 " GiB"}')"
  echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"; echo "nginx: $($NGINX -v 2>&1 | cut -d/ -f2)"
  echo "postgresql: $("${PSQL[@]}" -d postgres -c 'SHOW server_version')"; echo "commit: $(git rev-parse --short HEAD)"
  echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
} >"$OUT/machine.txt"

if [ "$("${PSQL[@]}" -d postgres -c "SELECT 1 FROM pg_database WHERE datname = 'bench_proxy'")" != 1 ]; then
  createdb -h 127.0.0.1 -U postgres bench_proxy
fi
log "bench_proxy: migrate, organisation, cards, actors"
$WHISTLE migrate -v 0
$PY bench/ratings_prepare.py --http >"$OUT/prepare.log"  # Heze organisation, 3,600 cards, rate limits lifted
"${PSQL[@]}" -d bench_proxy -c "SELECT card_code FROM ratings_cadre UNION ALL SELECT card_code FROM ratings_window" >"$OUT/codes.txt"
$PY bench/prepare_whistle.py --routes 1 --out "$OUT/actors.json" >&2
$PY - "$OUT" <<'PY'
import json, sys
out = sys.argv[1]
route = json.load(open(f"{out}/actors.json"))[0]
json.dump({"kind": "help", "category": route["category"], "title": "厂区新建仓库施工许可办理咨询",
           "description": "我公司厂区新建仓库，施工许可材料已提交两周未有答复，请协调办理进度。"},
          open(f"{out}/submit-body.json", "w"), ensure_ascii=False)
open(f"{out}/auth", "w").write("Bearer " + route["enterprise_token"])
PY
$WHISTLE collectstatic --noinput -v 0

log "certificate, nginx (deploy/nginx/whistle.conf), granian"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 \
  -keyout "$OUT/tls/privkey.pem" -out "$OUT/tls/fullchain.pem" 2>/dev/null
sed -e "s|listen 80;|listen 127.0.0.1:$HTTP_PORT;|" -e "s|listen 443 ssl http2;|listen 127.0.0.1:$HTTPS_PORT ssl http2;|" \
    -e "s|server 127.0.0.1:8000;|server 127.0.0.1:$WEB_PORT;|" -e "s|/etc/letsencrypt/live/whistle.example.gov.cn/|$OUT/tls/|" \
    -e "s|/var/lib/whistle/static/|$OUT/var/static/|" -e "s|/var/www/letsencrypt|$OUT/acme|" deploy/nginx/whistle.conf >"$OUT/site.conf"
cat >"$OUT/nginx.conf" <<NGINX
$([ "$(id -u)" = 0 ] && echo "user root;")
daemon off;
worker_processes auto;
pid $OUT/nginx.pid;
error_log $OUT/nginx-error.log warn;
events { worker_connections 1024; }
http {
    include /etc/nginx/mime.types;
    access_log off;
    client_body_temp_path $OUT/nginx-temp/body;
    proxy_temp_path $OUT/nginx-temp/proxy;
    fastcgi_temp_path $OUT/nginx-temp/fastcgi;
    uwsgi_temp_path $OUT/nginx-temp/uwsgi;
    scgi_temp_path $OUT/nginx-temp/scgi;
    include $OUT/site.conf;
}
NGINX
$WHISTLE serve --no-worker --workers 2 --host 127.0.0.1 --port "$WEB_PORT" >"$OUT/web.log" 2>&1 &
PIDS+=($!)
"$NGINX" -p "$OUT" -c "$OUT/nginx.conf" -e "$OUT/nginx-error.log" &
PIDS+=($!)
for _ in $(seq 1 120); do
  curl -fsk -o /dev/null "$PUBLIC/healthz" && curl -fs -o /dev/null "http://127.0.0.1:$WEB_PORT/healthz" && break
  sleep 0.5
done

DIRECT=(-H "X-Forwarded-For: 127.0.0.1" -H "X-Forwarded-Proto: https")
# measure WHAT SIDE ROUND: one wrk run, its JSON line into $OUT/WHAT-SIDE-ROUND.json
measure() {
  local what=$1 side=$2 round=$3 url extra=()
  if [ "$side" = proxy ]; then url=$PUBLIC; else url=http://127.0.0.1:$WEB_PORT; extra=("${DIRECT[@]}"); fi
  if [ "$what" = submit ]; then
    AUTH=$(cat "$OUT/auth") BODY_FILE=$OUT/submit-body.json wrk -t2 -c"$CLIENTS" -d"${DURATION}s" --timeout 10s \
      "${extra[@]}" -s bench/post.lua "$url/api/v1/cases" 2>>"$OUT/wrk-errors.log" | tail -1 >"$OUT/$what-$side-$round.json"
  else
    CODES_FILE=$OUT/codes.txt wrk -t2 -c"$CLIENTS" -d"${DURATION}s" --timeout 10s "${extra[@]}" -H "Origin: $PUBLIC" \
      -s bench/ratings_post.lua "$url" 2>>"$OUT/wrk-errors.log" | tail -1 >"$OUT/$what-$side-$round.json"
  fi
  log "$what $side round $round: $(cat "$OUT/$what-$side-$round.json")"
}

log "warm-up"
DURATION=3 measure submit proxy 0; DURATION=3 measure submit direct 0; DURATION=3 measure rating proxy 0; DURATION=3 measure rating direct 0
for round in $(seq 1 "$ROUNDS"); do
  # Alternate which side goes first, so neither always runs on the warmer (or more loaded) machine.
  if [ $((round % 2)) = 1 ]; then sides="direct proxy"; else sides="proxy direct"; fi
  for what in submit rating; do for side in $sides; do measure "$what" "$side" "$round"; done; done
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)" >>"$OUT/machine.txt"

$PY - "$OUT" "$ROUNDS" <<'PY'
import json, statistics, sys
out, rounds = sys.argv[1], int(sys.argv[2])
print(open(f"{out}/machine.txt").read().strip())
print("| request | side | req/s (median) | p99 ms (median) | non-2xx |")
print("|---|---|---:|---:|---:|")
summary = {}
for what in ("submit", "rating"):
    for side in ("direct", "proxy"):
        runs = [json.load(open(f"{out}/{what}-{side}-{r}.json")) for r in range(1, rounds + 1)]
        rps, p99 = statistics.median(r["rps"] for r in runs), statistics.median(r["p99_ms"] for r in runs)
        summary[what, side] = rps, p99
        print(f"| {what} | {side} | {rps:.0f} | {p99:.1f} | {sum(r['non2xx'] + r['errors'] for r in runs)} |")
for what in ("submit", "rating"):
    (d_rps, d_p99), (p_rps, p_p99) = summary[what, "direct"], summary[what, "proxy"]
    # Each round's two sides ran back to back: their ratio shares that minute's load, so it is the steadier figure.
    paired = statistics.median(json.load(open(f"{out}/{what}-proxy-{r}.json"))["rps"] /
                               json.load(open(f"{out}/{what}-direct-{r}.json"))["rps"] for r in range(1, rounds + 1))
    print(f"{what}: through nginx+TLS {p_rps / d_rps:.1%} of direct req/s (medians), {paired:.1%} (median of the rounds' "
          f"ratios; cost {1 - paired:.1%}), p99 x{p_p99 / d_p99:.2f}")
json.dump({f"{w}-{s}": v for (w, s), v in summary.items()}, open(f"{out}/summary.json", "w"))
PY
