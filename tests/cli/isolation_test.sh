#!/usr/bin/env bash
# The isolation suite, part one: every route the server has is in the table
# of isolation.sh (and every row's route is still served), every route is
# tried by every kind of caller, and the platform, auth and public routes
# answer each caller as the contract says. isolation_data_test.sh runs the
# tenant-data rows.
. "$(dirname "$0")/isolation.sh"
check_routes
run_matrix platform
done_ok
