#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# The mira-server command line, as an administrator uses it.
#   tests/test-cli.sh PATH/TO/mira-server
# Prints TAP; exits non-zero when a check fails.
set -u

server="${1:?usage: test-cli.sh PATH/TO/mira-server}"
tmp="$(mktemp -d /tmp/mira-cli-XXXXXX)"
server_pid=""
n=0
failed=0

cleanup() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill -KILL "$server_pid" 2>/dev/null
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT

# Nothing of the user's own configuration is read or written
export HOME="$tmp/home" XDG_CONFIG_HOME="$tmp/config" XDG_DATA_HOME="$tmp/data"
unset MIRA_ADMIN_TOKEN MIRA_DATABASE_URL
mkdir -p "$HOME"

ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() {
  n=$((n + 1)); failed=$((failed + 1))
  echo "not ok $n - $1"
  shift
  for line in "$@"; do printf '%s\n' "$line" | sed 's/^/#   /'; done
}
# check NAME COMMAND… : passes when COMMAND succeeds
check() {
  local name="$1"; shift
  if "$@"; then ok "$name"; else not_ok "$name" "output: $(cat "$tmp/out" 2>/dev/null)" \
                                               "errors: $(cat "$tmp/err" 2>/dev/null)"; fi
}
# run ARGS… : runs mira-server with stdout in $tmp/out, stderr in $tmp/err, exit code in $rc
run() {
  timeout 60 "$server" "$@" </dev/null >"$tmp/out" 2>"$tmp/err"
  rc=$?
}
has() { grep -q -e "$1" "$2"; }

db="sqlite://$tmp/cli.db"

# --help
run --help
check "--help exits 0" test "$rc" -eq 0
for word in --host --port --database --admin-token-file --open-registration --workers \
            --audio-threads --log-level --version serve migrate "networks list" "networks create" \
            --llm-url --llm-model --llm-key-file --llm-timeout MIRA_LLM_API_KEY \
            --openai-key-file MIRA_OPENAI_API_KEY --deepgram-key-file MIRA_DEEPGRAM_API_KEY \
            "wins over its" --sphinx-idle; do
  check "--help lists $word" has "$word" "$tmp/out"
done

# --version
run --version
check "--version exits 0" test "$rc" -eq 0
check "--version prints mira-server and a version" \
  grep -Eq '^mira-server [0-9]+\.[0-9]+\.[0-9]+' "$tmp/out"

# Usage errors
run --no-such-option
check "an unknown option exits 2" test "$rc" -eq 2
check "an unknown option is named on stderr" has "no-such-option" "$tmp/err"
run no-such-command
check "an unknown command exits 2" test "$rc" -eq 2
check "an unknown command is named on stderr" has "no-such-command" "$tmp/err"
run --port 70000
check "an out-of-range port exits 2" test "$rc" -eq 2
run --database "$db" --port 0 --transcriber none --audio-threads 1000
check "too many audio threads exits 2" test "$rc" -eq 2
check "too many audio threads is explained" has "audio-threads" "$tmp/err"
run --database "$db" networks suspend
check "networks suspend without an id exits 2" test "$rc" -eq 2
# A 0 is refused as the range the message gives says, not read as "the default"
for value in 0 -5 600001; do
  run --database "$db" --port 0 --transcriber none --transcriber-timeout "$value"
  check "--transcriber-timeout $value exits 2" test "$rc" -eq 2
  check "--transcriber-timeout $value is explained" has "between 1 and 600000 ms" "$tmp/err"
done
for value in 0 65; do
  run --database "$db" --port 0 --transcriber none --sphinx-decoders "$value"
  check "--sphinx-decoders $value exits 2" test "$rc" -eq 2
  check "--sphinx-decoders $value is explained" has "between 1 and 64" "$tmp/err"
done
# A service's URL that is not http(s)://host is refused at start-up
for option in openai-url deepgram-url llm-url; do
  for value in notaurl ftp://127.0.0.1/ http://; do
    if [ "$option" = llm-url ]; then
      run --database "$db" --port 0 --transcriber none --"$option" "$value" --llm-model m
    else
      run --database "$db" --port 0 --transcriber none --"$option" "$value"
    fi
    check "--$option $value exits 2" test "$rc" -eq 2
    check "--$option $value is explained" has "$option must be an http" "$tmp/err"
  done
done
run --database "$db" --port 0 --transcriber none --llm-url ftp://127.0.0.1/ --llm-model m
check "an --llm-url that is not http exits 2" test "$rc" -eq 2
check "an --llm-url that is not http is explained" has "llm-url must be an http" "$tmp/err"
run --database "$db" --port 0 --transcriber none --llm-url http://127.0.0.1:9
check "--llm-url without --llm-model exits 2" test "$rc" -eq 2
check "--llm-url without --llm-model is explained" has "needs --llm-model" "$tmp/err"
run --database "$db" --port 0 --transcriber none --llm-model m
check "--llm-model without --llm-url exits 2" test "$rc" -eq 2
run --database "$db" --port 0 --transcriber none --llm-url http://127.0.0.1:9 --llm-model m \
    --llm-key-file "$tmp/no-such-key"
check "an unreadable --llm-key-file exits 2" test "$rc" -eq 2
check "an unreadable --llm-key-file is named" has "llm-key-file" "$tmp/err"
# One rule for every API key: a key file on the command line wins over the environment, so
# one that cannot be read is an error even when the variable holds a key
MIRA_LLM_API_KEY=sk-env run --database "$db" --port 0 --transcriber none \
    --llm-url http://127.0.0.1:9 --llm-model m --llm-key-file "$tmp/no-such-key"
check "an unreadable --llm-key-file exits 2 with MIRA_LLM_API_KEY set" test "$rc" -eq 2
check "an unreadable --llm-key-file is named with MIRA_LLM_API_KEY set" has "llm-key-file" "$tmp/err"
printf 'sk-one\nsk-two\n' > "$tmp/two-keys"
for backend in openai deepgram; do
  var="MIRA_$(echo "$backend" | tr a-z A-Z)_API_KEY"
  env "$var=sk-env" timeout 60 "$server" --database "$db" --port 0 --transcriber "$backend" \
    "--$backend-key-file" "$tmp/no-such-key" </dev/null >"$tmp/out" 2>"$tmp/err"
  rc=$?
  check "an unreadable --$backend-key-file exits 2 with $var set" test "$rc" -eq 2
  check "an unreadable --$backend-key-file is named with $var set" has "$backend-key-file" "$tmp/err"
done
run --database "$db" --port 0 --transcriber none --llm-url http://127.0.0.1:9 --llm-model m \
    --llm-key-file "$tmp/two-keys"
check "an --llm-key-file of two lines exits 2" test "$rc" -eq 2
check "an --llm-key-file of two lines is explained" has "one API key on one line" "$tmp/err"
run --database "$db" --port 0 --transcriber none --llm-url http://127.0.0.1:9 --llm-model m \
    --llm-timeout 0
check "an --llm-timeout of 0 exits 2" test "$rc" -eq 2

# migrate --status on a fresh SQLite file
run --database "$db" migrate --status
check "migrate --status exits 0" test "$rc" -eq 0
check "migrate --status lists 0001" grep -Eq '^0001 ' "$tmp/out"
run --database "$db" migrate
check "migrate exits 0" test "$rc" -eq 0
check "migrate shows 0001 applied" grep -Eq '^0001 .*[0-9]{4}-[0-9]{2}-[0-9]{2}' "$tmp/out"
run --database "$db" migrate --status
check "migrate --status shows 0001 applied afterwards" \
  grep -Eq '^0001 .*[0-9]{4}-[0-9]{2}-[0-9]{2}' "$tmp/out"

# networks create / list / suspend / activate / delete
run --database "$db" networks create "Kitchen table"
check "networks create exits 0" test "$rc" -eq 0
check "networks create prints the name" has '"Kitchen table"' "$tmp/out"
check "networks create prints a network_token" grep -Eq '"network_token" *: *"[^"]{16,}"' "$tmp/out"
net=$(grep -Eo 'net_[0-9a-f]{32}' "$tmp/out" | head -n1)
check "networks create prints a network_id" test -n "$net"
net="${net:-net_00000000000000000000000000000000}"

run --database "$db" networks list
check "networks list exits 0" test "$rc" -eq 0
check "networks list shows the network" has "$net" "$tmp/out"
check "networks list shows no token" test "$(grep -c network_token "$tmp/out")" -eq 0

run --database "$db" networks suspend "$net"
check "networks suspend exits 0" test "$rc" -eq 0
check "networks suspend prints the suspended network" \
  grep -Eq '"status" *: *"suspended"' "$tmp/out"
run --database "$db" networks list
check "networks list shows it suspended" grep -Eq '"status" *: *"suspended"' "$tmp/out"

run --database "$db" networks activate "$net"
check "networks activate exits 0" test "$rc" -eq 0
check "networks activate prints the active network" grep -Eq '"status" *: *"active"' "$tmp/out"

run --database "$db" networks suspend not-a-network
check "networks suspend of a malformed id exits 2" test "$rc" -eq 2
run --database "$db" networks delete net_0123456789abcdef0123456789abcdef
check "networks delete of an unknown network fails" test "$rc" -ne 0

run --database "$db" networks delete "$net"
check "networks delete exits 0" test "$rc" -eq 0
run --database "$db" networks list
check "networks list no longer shows it" test "$(grep -c "$net" "$tmp/out")" -eq 0

# serve: --port 0, /health, the admin token file, SIGTERM
"$server" --database "$db" --host 127.0.0.1 --port 0 </dev/null >"$tmp/serve.out" 2>"$tmp/serve.err" &
server_pid=$!
url=""
for _ in $(seq 1 100); do
  url=$(grep -Eo '^listening on http://127\.0\.0\.1:[0-9]+$' "$tmp/serve.out" | sed 's/^listening on //')
  [ -n "$url" ] && break
  kill -0 "$server_pid" 2>/dev/null || break
  sleep 0.1
done
if [ -n "$url" ]; then
  ok "serve --port 0 prints listening on http://127.0.0.1:PORT"
else
  not_ok "serve --port 0 prints listening on http://127.0.0.1:PORT" \
    "stdout: $(cat "$tmp/serve.out")" "stderr: $(cat "$tmp/serve.err")"
fi
port="${url##*:}"
check "the port is not 0" test "${port:-0}" -gt 0

health=""
if [ -n "$url" ]; then
  health=$(curl -sS -m 10 -w ' %{http_code}' "$url/health" 2>&1)
fi
check "/health answers 200" test "${health##* }" = 200
check "/health says ok" grep -q '"status" *: *"ok"' <<<"$health"

token_file="$XDG_CONFIG_HOME/mira/admin-token"
check "the admin token file is created" test -s "$token_file"
check "the admin token file has mode 0600" test "$(stat -c %a "$token_file" 2>/dev/null)" = 600

if [ -n "$url" ] && [ -s "$token_file" ]; then
  code=$(curl -sS -m 10 -o /dev/null -w '%{http_code}' \
              -H "Authorization: Bearer $(cat "$token_file")" "$url/api/v1/admin/networks")
  check "the admin token from the file is accepted" test "$code" = 200
  code=$(curl -sS -m 10 -o /dev/null -w '%{http_code}' \
              -H "Authorization: Bearer not-the-admin-token" "$url/api/v1/admin/networks")
  check "another token is refused with 401" test "$code" = 401
fi

kill -TERM "$server_pid" 2>/dev/null
stopped=0
for _ in $(seq 1 100); do
  kill -0 "$server_pid" 2>/dev/null || { stopped=1; break; }
  sleep 0.1
done
if [ "$stopped" = 1 ]; then
  wait "$server_pid"
  rc=$?
  server_pid=""
  check "SIGTERM stops the server with exit 0" test "$rc" -eq 0
else
  not_ok "SIGTERM stops the server with exit 0" "still running 10 s after SIGTERM"
fi

# A second start reuses the token file instead of replacing it
before=$(cat "$token_file" 2>/dev/null)
"$server" --database "$db" --port 0 </dev/null >"$tmp/serve2.out" 2>"$tmp/serve2.err" &
server_pid=$!
for _ in $(seq 1 100); do
  grep -q '^listening on ' "$tmp/serve2.out" && break
  kill -0 "$server_pid" 2>/dev/null || break
  sleep 0.1
done
check "a second start keeps the admin token" test "$(cat "$token_file" 2>/dev/null)" = "$before"
kill -TERM "$server_pid" 2>/dev/null
wait "$server_pid"
rc=$?
server_pid=""
check "the second server stops with exit 0" test "$rc" -eq 0

# HTTPS with --tls-cert and --tls-key
if openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=127.0.0.1" \
     -keyout "$tmp/key.pem" -out "$tmp/cert.pem" >/dev/null 2>&1; then
  run --database "$db" networks create "Over TLS"
  tls_token=$(grep -Eo '"network_token" *: *"[^"]+"' "$tmp/out" | sed 's/.*"\([^"]*\)"$/\1/')
  "$server" --database "$db" --port 0 --transcriber none --tls-cert "$tmp/cert.pem" \
    --tls-key "$tmp/key.pem" </dev/null >"$tmp/tls.out" 2>"$tmp/tls.err" &
  server_pid=$!
  for _ in $(seq 1 100); do
    grep -q '^listening on ' "$tmp/tls.out" && break
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.1
  done
  check "with a certificate the server listens on https" grep -Eq '^listening on https://127\.0\.0\.1:[0-9]+$' "$tmp/tls.out"
  url=$(sed -n 's/^listening on //p' "$tmp/tls.out")
  check "/health answers over TLS" sh -c "curl -sk '$url/health' | grep -q '\"status\":\"ok\"'"
  check "plain HTTP on the TLS port gets no answer" sh -c "! curl -s --max-time 3 'http://${url#https://}/health' | grep -q ok"
  # Answered before libsoup reads the body: over TLS as over plain HTTP
  code=$(curl -sk -m 10 -o "$tmp/413.out" -w '%{http_code}' -X POST \
              -H 'Content-Length: 1000000000000' "$url/health" 2>/dev/null)
  check "a body announced too large gets 413 over TLS" test "$code" = 413
  check "the 413 over TLS is in the error shape" has '"error_code":"PAYLOAD_TOO_LARGE"' "$tmp/413.out"
  timeout 30 /usr/bin/python3 "$(dirname "$0")/wss-audio.py" \
    "wss://${url#https://}/ws_pcm?token=$tls_token&device_name=tls-mic" >"$tmp/wss.out" 2>&1
  check "an audio socket over TLS is ready" has '^ready$' "$tmp/wss.out"
  check "a ping over TLS is answered after the audio" has '^pong$' "$tmp/wss.out"
  check "bad JSON over TLS gets an error and close code 1003" \
    sh -c "grep -q '^error$' '$tmp/wss.out' && grep -q '^closed 1003$' '$tmp/wss.out'"
  # A device that vanishes sends no FIN: the kernel's keepalive probes must be armed
  timeout 30 /usr/bin/python3 "$(dirname "$0")/wss-audio.py" \
    "wss://${url#https://}/ws_pcm?token=$tls_token&device_name=quiet-mic" hold 4 >"$tmp/hold.out" 2>&1 &
  hold_pid=$!
  for _ in $(seq 1 50); do
    grep -q '^ready$' "$tmp/hold.out" && break
    sleep 0.1
  done
  ss -tnoH state established "( sport = :${url##*:} )" >"$tmp/ss.out" 2>&1
  check "an idle audio socket has TCP keepalive armed" has 'timer:(keepalive' "$tmp/ss.out"
  curl -sk -m 10 -H "Authorization: Bearer $(cat "$token_file")" "$url/metrics" >"$tmp/metrics.out"
  check "/metrics counts the open audio socket" \
    test "$(awk '/^mira_audio_sockets[{]/ { n += $2 } END { print n + 0 }' "$tmp/metrics.out")" -eq 1
  check "/metrics counts the audio messages read" \
    test "$(awk '/^mira_audio_messages_total[{]/ { n += $2 } END { print n + 0 }' "$tmp/metrics.out")" -ge 5
  wait "$hold_pid"
  kill -TERM "$server_pid" 2>/dev/null
  wait "$server_pid"
  server_pid=""
else
  not_ok "with a certificate the server listens on https" "openssl could not make a certificate"
fi
run --database "$db" --port 0 --transcriber none --tls-cert "$tmp/cert.pem"
check "a certificate without a key is refused with exit 1" test "$rc" -eq 1
check "a certificate without a key is explained" has "key" "$tmp/err"

# MIRA_ADMIN_TOKEN that is too short is refused
MIRA_ADMIN_TOKEN=short run --database "$db" --port 0
check "a short MIRA_ADMIN_TOKEN is refused with exit 1" test "$rc" -eq 1

echo "1..$n"
[ "$failed" -eq 0 ]
