#!/usr/bin/env bash
# The resource engine over HTTP (resources.sh): CRUD for every resource of
# the built-in services resources_crud_test.sh leaves (analytics, billing,
# commerce, projects, and any added later).
. "$(dirname "$0")/resources.sh"

# ---- 1. CRUD for every resource of every built-in service --------------------
crud_services rest
resources_done
