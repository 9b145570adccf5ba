#!/usr/bin/env bash
# The command line asks before it destroys: `tenant delete` on a terminal
# wants the slug typed back (a wrong answer deletes nothing), `--yes` skips
# the question, and without a terminal and without --yes it refuses with
# exit 2 and says why. `apikey create --expires-at` takes only a future
# RFC 3339 time (exit 2 otherwise), like the HTTP route.
. "$(dirname "$0")/lib.sh"
td_init
expect_rc 0 td tenant create acme --json
expect_rc 0 td tenant create beta --json
command -v script >/dev/null || fail "script (util-linux) is needed to give the command a terminal"

# no terminal, no --yes
expect_rc 2 td tenant delete acme </dev/null
expect_contains "$T/err" "--yes"
expect_rc 0 td tenant show acme --json
eq "$(jq -r .status "$T/out")" active "nothing deleted without a terminal or --yes"

# on a terminal: a wrong answer deletes nothing, the slug deletes
on_tty() { # ANSWER CMD…: runs CMD on a pseudo-terminal, typing ANSWER
  local answer=$1; shift
  printf '%s\n' "$answer" | script -qec "$(printf '%q ' "$@")" /dev/null >"$T/out" 2>&1
}
rc=0; on_tty acme-nope "$TD_BIN" tenant delete acme --data "$DATA" || rc=$?
[ "$rc" -ne 0 ] || { cat "$T/out"; fail "a wrong answer was accepted"; }; pass
expect_contains "$T/out" "Type its slug to confirm"
expect_contains "$T/out" "not confirmed"
expect_rc 0 td tenant show acme --json
eq "$(jq -r .status "$T/out")" active "a wrong answer deleted nothing"
on_tty acme "$TD_BIN" tenant delete acme --data "$DATA" || { cat "$T/out"; fail "typing the slug did not delete"; }
expect_contains "$T/out" "deleted acme"
expect_rc 1 td tenant show acme
# --yes without a terminal
expect_rc 0 td tenant delete beta --yes </dev/null
expect_contains "$T/out" "deleted beta"

# apikey create --expires-at
expect_rc 0 td tenant create gamma --json
for bad in yesterday 2001-01-01T00:00:00Z 2031-13-45T00:00:00Z "2031-01-01 00:00"; do
  expect_rc 2 td apikey create --tenant gamma --name k --role client --expires-at "$bad"
  expect_contains "$T/err" "RFC 3339"
done
expect_rc 0 td apikey create --tenant gamma --name k --role client --expires-at 2031-01-02T03:04:05+01:00 --json
eq "$(jq -r .expires_at "$T/out")" 2031-01-02T02:04:05.000Z "a future time is kept, in UTC"
done_ok
