/* nosync.c — an LD_PRELOAD library that makes fsync, fdatasync, syncfs,
 * sync and sync_file_range return at once without syncing anything.
 *
 * bench/run's read scenario preloads it into td_bench_provision while it
 * creates the thousands of tenants that scenario reads from: their setup
 * is not what that scenario measures, and on a shared disk the fsyncs
 * alone can take minutes. Never preload it into a measured process, nor
 * anywhere the data matters. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <fcntl.h>
#include <unistd.h>

int fsync(int fd) {
    (void)fd;
    return 0;
}

int fdatasync(int fd) {
    (void)fd;
    return 0;
}

int syncfs(int fd) {
    (void)fd;
    return 0;
}

void sync(void) {}

int sync_file_range(int fd, off64_t offset, off64_t nbytes, unsigned int flags) {
    (void)fd;
    (void)offset;
    (void)nbytes;
    (void)flags;
    return 0;
}
