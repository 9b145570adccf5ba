#!/usr/bin/env bash
# `make run` and `make build` need no test dependency: the build tree is
# configured exactly as the Makefile does it (make configure), with a
# pkg-config search path that holds every library except cmocka. Fails
# when configuring the server starts requiring a test library again.
. "$(dirname "$0")/lib.sh"
[ "$BACKEND" = sqlite ] || skip "the build does not depend on the backend: run on sqlite only"

pc=$T/pkgconfig
mkdir -p "$pc"
for d in $(pkg-config --variable pc_path pkg-config | tr : ' '); do
  [ -d "$d" ] || continue
  for f in "$d"/*.pc; do
    [ -e "$f" ] && [ "$(basename "$f")" != cmocka.pc ] && ln -sf "$f" "$pc/"
  done
done
[ -e "$pc/libmicrohttpd.pc" ] || fail "no libmicrohttpd.pc to link"; pass
# the hiding works: cmocka is not found through this path
! PKG_CONFIG_LIBDIR=$pc pkg-config --exists cmocka || fail "cmocka still visible"; pass

expect_rc 0 env PKG_CONFIG_LIBDIR="$pc" make -s -C "$TD_SRC" configure BUILD="$T/build"
[ -f "$T/build/build.ninja" ] || fail "no build.ninja after make configure"; pass
grep -q 'tenantd' "$T/build/build.ninja" || fail "the server is not in the build tree"; pass
# and the test tree (which needs cmocka) is not configured there
! grep -q 'test_common' "$T/build/build.ninja" || fail "make configure configured the tests"; pass
done_ok
