#!/usr/bin/env bash
# The isolation suite, part two: the tenant-data rows of isolation.sh (a
# resource of every service through the generic routes, and the routes with
# behaviour) answer each kind of caller as the contract says, and nobody
# outside tenant acme sees anything of acme.
. "$(dirname "$0")/isolation.sh"
run_matrix data
done_ok
