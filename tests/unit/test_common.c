/* test_common.c — unit tests of the reusable pieces in src/common: arena,
 * bounded buffers, statuses, the configuration table, log redaction, ids
 * and text checks. None of them touches a database, so the file runs the
 * same on both backends. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/arena.h"
#include "common/buf.h"
#include "common/config.h"
#include "common/id.h"
#include "common/json.h"
#include "common/log.h"
#include "common/status.h"
#include "common/text.h"

/* ---- arena ------------------------------------------------------------- */

/* Allocations of awkward sizes, some larger than a block: each is aligned
 * to 16, zeroed (ASan fills fresh heap memory with garbage, so this can
 * fail), and none overlaps another. */
static void test_arena_alloc_zeroed_aligned(void **state) {
    (void)state;
    static const size_t sizes[] = {1, 3, 16, 17, 100, 4095, 4096, 5000, 7, 70000, 1};
    enum { N = sizeof(sizes) / sizeof(sizes[0]) };
    unsigned char *p[N];
    td_arena_t *a = td_arena_new(0);
    assert_non_null(a);
    size_t used = 0;
    for (size_t i = 0; i < N; i++) {
        p[i] = td_arena_alloc(a, sizes[i]);
        assert_non_null(p[i]);
        assert_int_equal((uintptr_t)p[i] % 16, 0);
        for (size_t j = 0; j < sizes[i]; j++)
            assert_int_equal(p[i][j], 0);
        memset(p[i], (int)(i + 1), sizes[i]);
        assert_true(td_arena_used(a) >= used + sizes[i]);
        used = td_arena_used(a);
    }
    for (size_t i = 0; i < N; i++)
        for (size_t j = 0; j < sizes[i]; j++)
            assert_int_equal(p[i][j], (unsigned char)(i + 1));
    td_arena_destroy(a);
    td_arena_destroy(NULL); /* documented as allowed */
}

static void test_arena_strings(void **state) {
    (void)state;
    td_arena_t *a = td_arena_new(0);
    assert_non_null(a);
    const char *src = "tenant acme";
    char *d = td_arena_strdup(a, src);
    assert_non_null(d);
    assert_ptr_not_equal(d, src);
    assert_string_equal(d, src);
    assert_null(td_arena_strdup(a, NULL));
    char *nd = td_arena_strndup(a, "abcdef", 3);
    assert_string_equal(nd, "abc");
    char *pf = td_arena_printf(a, "%s-%d-%05.1f", "x", 42, 3.5);
    assert_string_equal(pf, "x-42-003.5");
    /* Longer than one block. */
    char *big = td_arena_printf(a, "%9000s|", "end");
    assert_non_null(big);
    assert_int_equal(strlen(big), 9001);
    assert_string_equal(big + 8997, "end|");
    td_arena_destroy(a);
}

typedef struct {
    int order[8];
    int n;
} recorder_t;

typedef struct {
    recorder_t *rec;
    int id;
    char *arena_text; /* arena memory the cleanup reads */
} cleanup_arg_t;

static void record_cleanup(void *arg) {
    cleanup_arg_t *c = arg;
    /* Cleanups run before the blocks are freed: ASan would flag this read
     * if they did not. */
    if (c->arena_text && strcmp(c->arena_text, "still here") == 0)
        c->rec->order[c->rec->n++] = c->id;
    else
        c->rec->order[c->rec->n++] = -c->id;
}

static void test_arena_cleanups_reverse_order(void **state) {
    (void)state;
    recorder_t rec = {{0}, 0};
    td_arena_t *a = td_arena_new(0);
    assert_non_null(a);
    for (int i = 1; i <= 4; i++) {
        cleanup_arg_t *c = td_arena_alloc(a, sizeof(*c));
        assert_non_null(c);
        c->rec = &rec;
        c->id = i;
        c->arena_text = td_arena_strdup(a, "still here");
        assert_int_equal(td_arena_defer(a, record_cleanup, c), 0);
    }
    assert_int_equal(rec.n, 0); /* nothing runs before destroy */
    td_arena_destroy(a);
    assert_int_equal(rec.n, 4);
    assert_int_equal(rec.order[0], 4);
    assert_int_equal(rec.order[1], 3);
    assert_int_equal(rec.order[2], 2);
    assert_int_equal(rec.order[3], 1);
}

/* Connections given back early (td_arena_release) run then, most recent
 * first, and only once; the other cleanups wait for the arena's end. */
static void test_arena_release_early(void **state) {
    (void)state;
    recorder_t rec = {{0}, 0};
    td_arena_t *a = td_arena_new(0);
    assert_non_null(a);
    for (int i = 1; i <= 4; i++) {
        cleanup_arg_t *c = td_arena_alloc(a, sizeof(*c));
        assert_non_null(c);
        c->rec = &rec;
        c->id = i;
        c->arena_text = td_arena_strdup(a, "still here");
        if (i % 2)
            assert_int_equal(td_arena_defer_release(a, record_cleanup, c), 0);
        else
            assert_int_equal(td_arena_defer(a, record_cleanup, c), 0);
    }
    td_arena_release(a);
    assert_int_equal(rec.n, 2);
    assert_int_equal(rec.order[0], 3);
    assert_int_equal(rec.order[1], 1);
    td_arena_release(a); /* nothing left to release */
    assert_int_equal(rec.n, 2);
    td_arena_destroy(a);
    assert_int_equal(rec.n, 4);
    assert_int_equal(rec.order[2], 4);
    assert_int_equal(rec.order[3], 2);
}

static void test_arena_cap(void **state) {
    (void)state;
    td_arena_t *a = td_arena_new(64);
    assert_non_null(a);
    assert_non_null(td_arena_alloc(a, 32));
    assert_non_null(td_arena_alloc(a, 20)); /* rounds up to 32: exactly the cap */
    assert_int_equal(td_arena_used(a), 64);
    assert_null(td_arena_alloc(a, 1));
    assert_null(td_arena_strdup(a, "x"));
    assert_null(td_arena_printf(a, "%d", 1));
    assert_int_equal(td_arena_used(a), 64); /* failures hand out nothing */
    td_arena_destroy(a);

    a = td_arena_new(0); /* 0 = 64 MiB */
    assert_non_null(a);
    assert_null(td_arena_alloc(a, ((size_t)64 << 20) + 1));
    assert_null(td_arena_alloc(a, SIZE_MAX)); /* no wrap-around */
    assert_null(td_arena_alloc(a, SIZE_MAX - 8));
    assert_non_null(td_arena_alloc(a, 1000));
    td_arena_destroy(a);
}

/* ---- buf --------------------------------------------------------------- */

static void test_buf_append_printf(void **state) {
    (void)state;
    td_buf_t b;
    td_buf_init(&b, 1 << 20);
    assert_string_equal(td_buf_str(&b), ""); /* never NULL */
    assert_int_equal(td_buf_puts(&b, "abc"), TD_OK);
    assert_int_equal(td_buf_append(&b, "d\0e", 3), TD_OK);
    assert_int_equal(b.len, 6);
    assert_memory_equal(b.data, "abcd\0e", 7); /* NUL-terminated */
    td_buf_reset(&b);
    assert_int_equal(b.len, 0);
    assert_string_equal(td_buf_str(&b), "");
    assert_int_equal(td_buf_printf(&b, "%s=%d;", "n", 7), TD_OK);
    assert_int_equal(td_buf_printf(&b, "%s", ""), TD_OK);
    for (int i = 0; i < 1000; i++) /* grows past its first allocation */
        assert_int_equal(td_buf_printf(&b, "%04d", i), TD_OK);
    assert_int_equal(b.len, 4 + 4000);
    assert_memory_equal(b.data, "n=7;0000000100020003", 20);
    assert_string_equal(b.data + b.len - 4, "0999");
    td_buf_free(&b);
    assert_null(b.data);
    assert_int_equal(b.len, 0);
}

static void test_buf_max(void **state) {
    (void)state;
    td_buf_t b;
    td_buf_init(&b, 10);
    assert_int_equal(td_buf_puts(&b, "hello"), TD_OK);
    assert_int_equal(td_buf_puts(&b, "world!"), TD_E_TOOBIG);
    assert_string_equal(td_buf_str(&b), "hello");
    assert_int_equal(b.len, 5);
    assert_int_equal(td_buf_printf(&b, "%d", 123456), TD_E_TOOBIG);
    assert_string_equal(td_buf_str(&b), "hello");
    assert_int_equal(td_buf_append(&b, "x", SIZE_MAX), TD_E_TOOBIG); /* no overflow */
    assert_string_equal(td_buf_str(&b), "hello");
    assert_int_equal(td_buf_printf(&b, "%s", "world"), TD_OK); /* exactly max */
    assert_string_equal(td_buf_str(&b), "helloworld");
    assert_int_equal(td_buf_puts(&b, "x"), TD_E_TOOBIG);
    assert_int_equal(td_buf_puts(&b, ""), TD_OK);
    assert_string_equal(td_buf_str(&b), "helloworld");
    td_buf_free(&b);
}

static void test_buf_json_escape(void **state) {
    (void)state;
    td_buf_t b;
    td_buf_init(&b, 4096);
    assert_int_equal(td_buf_json_escape(&b, "say \"hi\" \\ back"), TD_OK);
    assert_string_equal(td_buf_str(&b), "say \\\"hi\\\" \\\\ back");
    td_buf_reset(&b);
    assert_int_equal(td_buf_json_escape(&b, "a\nb\rc\td\x01" "e\x1f" "f\x7f/é"), TD_OK);
    assert_string_equal(td_buf_str(&b), "a\\nb\\rc\\td\\u0001e\\u001ff\x7f/é");
    td_buf_reset(&b);
    /* Every control character comes out escaped: no raw byte < 0x20. */
    char all[32];
    for (int i = 1; i < 32; i++)
        all[i - 1] = (char)i;
    all[31] = '\0';
    assert_int_equal(td_buf_json_escape(&b, all), TD_OK);
    for (size_t i = 0; i < b.len; i++)
        assert_true((unsigned char)b.data[i] >= 0x20);
    assert_non_null(strstr(td_buf_str(&b), "\\u0008"));
    td_buf_free(&b);
}

/* buf.h: "appending past [the cap] fails with TD_E_TOOBIG and leaves the
 * buffer as it was" — json_escape appends too. */
static void test_buf_json_escape_toobig_leaves_content(void **state) {
    (void)state;
    td_buf_t b;
    td_buf_init(&b, 8);
    assert_int_equal(td_buf_puts(&b, "ab"), TD_OK);
    td_status st = td_buf_json_escape(&b, "cdef\"gh");
    char got[16];
    snprintf(got, sizeof(got), "%s", td_buf_str(&b));
    size_t len = b.len;
    td_buf_free(&b);
    assert_int_equal(st, TD_E_TOOBIG);
    assert_string_equal(got, "ab");
    assert_int_equal(len, 2);
}

/* ---- status ------------------------------------------------------------ */

typedef struct {
    td_status st;
    int value;
    const char *code, *msg;
} status_row_t;

static const status_row_t status_rows[] = {
#define TD_X(name, value, code, msg) {name, value, code, msg},
    TD_STATUS_LIST(TD_X)
#undef TD_X
};

static void test_status_codes_and_messages(void **state) {
    (void)state;
    size_t n = sizeof(status_rows) / sizeof(status_rows[0]);
    assert_true(n >= 18);
    for (size_t i = 0; i < n; i++) {
        const status_row_t *r = &status_rows[i];
        assert_int_equal((int)r->st, r->value);
        assert_true(r->value <= 0);
        assert_string_equal(td_status_code(r->st), r->code);
        assert_string_equal(td_status_msg(r->st), r->msg);
        assert_true(strlen(r->msg) > 0);
        /* machine-readable: lowercase words and underscores */
        assert_true(strlen(r->code) > 0);
        assert_int_equal(strspn(r->code, "abcdefghijklmnopqrstuvwxyz_"), strlen(r->code));
        for (size_t j = 0; j < i; j++) {
            assert_string_not_equal(r->code, status_rows[j].code);
            assert_int_not_equal(r->value, status_rows[j].value);
        }
    }
    assert_int_equal(TD_OK, 0);
    /* Values outside the list still give text. */
    assert_non_null(td_status_code((td_status)-999));
    assert_non_null(td_status_msg((td_status)-999));
    assert_string_not_equal(td_status_code((td_status)-999), "ok");
}

/* ---- config ------------------------------------------------------------ */

static void unset_config_env(void) {
    const td_config_row_t *rows;
    size_t n = td_config_rows(&rows);
    for (size_t i = 0; i < n; i++)
        unsetenv(rows[i].env);
}

static void test_config_defaults(void **state) {
    (void)state;
    td_config_t c;
    td_config_defaults(&c);
    assert_string_equal(c.listen, "127.0.0.1:8080");
    assert_string_equal(c.data, "./data");
    assert_string_equal(c.catalog_url, "");
    assert_string_equal(c.tenant_db_url, "");
    assert_string_equal(c.master_key, "");
    assert_string_equal(c.base_domain, "");
    assert_string_equal(c.log, "info");
    assert_int_equal(c.pool_max, 0); /* sized at start */
    assert_int_equal(c.pool_tenant_max, 8);
    assert_int_equal(c.pool_trim_ms, 30000);
    assert_int_equal(c.catalog_connections, 16);
    assert_int_equal(c.http_threads, 0);
    assert_int_equal(c.body_max, 1048576);
    assert_int_equal(c.upload_max, 16777216);
    assert_int_equal(c.media_max, 10485760);
    assert_string_equal(c.services_dir, "");
    assert_int_equal(c.header_max, 64);
    assert_int_equal(c.request_timeout, 30);
    assert_int_equal(c.header_timeout, 10);
    assert_int_equal(c.connections_per_address, 256);
    td_config_free(&c);
    assert_null(c.listen);

    /* The table behind it: every row documented and bound to TENANTD_*,
     * secrets flagged. */
    const td_config_row_t *rows;
    size_t n = td_config_rows(&rows);
    assert_true(n >= 12);
    int secrets = 0;
    for (size_t i = 0; i < n; i++) {
        assert_non_null(rows[i].key);
        assert_non_null(rows[i].def);
        assert_true(rows[i].help && rows[i].help[0]);
        assert_int_equal(strncmp(rows[i].env, "TENANTD_", 8), 0);
        if (strcmp(rows[i].key, "master_key") == 0 || strcmp(rows[i].key, "catalog_url") == 0 ||
            strcmp(rows[i].key, "tenant_db_url") == 0) {
            assert_int_equal(rows[i].secret, 1);
            secrets++;
        }
        if (strcmp(rows[i].key, "listen") == 0)
            assert_int_equal(rows[i].secret, 0);
    }
    assert_int_equal(secrets, 3);
}

static void test_config_set_bounds(void **state) {
    (void)state;
    static const struct {
        const char *key, *value;
        int ok;
    } cases[] = {
        {"pool_max", "2", 1},          {"pool_max", "1000000", 1},
        {"pool_max", "0", 1},          {"pool_max", "1000001", 0},
        {"catalog_connections", "1", 1}, {"catalog_connections", "0", 0},
        {"catalog_connections", "65", 0}, {"pool_tenant_max", "0", 1},
        {"pool_trim_ms", "-1", 0},
        {"pool_max", "", 0},           {"pool_max", "abc", 0},
        {"pool_max", "12x", 0},        {"pool_max", "-5", 0},
        {"pool_max", "99999999999999999999999", 0},
        {"http_threads", "0", 1},      {"http_threads", "1025", 0},
        {"body_max", "1024", 1},       {"body_max", "1023", 0},
        {"header_max", "8", 1},        {"header_max", "7", 0},
        {"request_timeout", "3600", 1}, {"request_timeout", "0", 0},
        {"header_timeout", "1", 1},    {"header_timeout", "0", 0},
        {"header_timeout", "3601", 0},
        {"connections_per_address", "1", 1}, {"connections_per_address", "0", 0},
        {"connections_per_address", "65536", 0},
        {"log", "debug", 1},           {"log", "off", 1},
        {"log", "verbose", 0},         {"log", "", 0},
        {"listen", "0.0.0.0:9000", 1}, {"master_key", "anything at all!", 1},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        td_config_t c;
        char err[256] = "";
        td_config_defaults(&c);
        long before = c.pool_max;
        td_status st = td_config_set(&c, cases[i].key, cases[i].value, err, sizeof(err));
        if (cases[i].ok) {
            if (st != TD_OK)
                fail_msg("%s=%s rejected: %s", cases[i].key, cases[i].value, err);
        } else {
            if (st != TD_E_CONFIG)
                fail_msg("%s=%s accepted", cases[i].key, cases[i].value);
            assert_non_null(strstr(err, cases[i].key)); /* names the key */
            assert_int_equal(c.pool_max, before);
            assert_string_equal(c.log, "info");
        }
        td_config_free(&c);
    }

    td_config_t c;
    char err[256] = "";
    td_config_defaults(&c);
    assert_int_equal(td_config_set(&c, "pool_max", "77", err, sizeof(err)), TD_OK);
    assert_int_equal(c.pool_max, 77);
    assert_int_equal(td_config_set(&c, "master_key", "s3cr3t-value", err, sizeof(err)), TD_OK);
    assert_string_equal(c.master_key, "s3cr3t-value");
    assert_int_equal(td_config_set(&c, "no_such_key", "1", err, sizeof(err)), TD_E_CONFIG);
    assert_non_null(strstr(err, "no_such_key"));
    assert_int_equal(td_config_set(&c, "LISTEN", "x", err, sizeof(err)), TD_E_CONFIG);
    assert_non_null(strstr(err, "LISTEN"));
    assert_string_equal(c.listen, "127.0.0.1:8080");
    td_config_free(&c);
}

static char *write_temp(const char *text) {
    char *path = strdup("/tmp/tdunit_cfg.XXXXXX");
    assert_non_null(path);
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    return path;
}

static void test_config_precedence(void **state) {
    (void)state;
    unset_config_env();
    char *path = write_temp("; tenantd settings\n"
                            "[tenantd]\n"
                            "listen = 10.0.0.1:1111\n"
                            "data = /srv/tenantd\n"
                            "pool_max = 50\n");
    td_config_t c;
    char err[256] = "";
    td_config_defaults(&c);
    assert_int_equal(td_config_load_file(&c, path, err, sizeof(err)), TD_OK);
    assert_string_equal(c.listen, "10.0.0.1:1111");
    assert_string_equal(c.data, "/srv/tenantd");
    assert_int_equal(c.pool_max, 50);
    assert_int_equal(c.header_max, 64); /* untouched default */

    setenv("TENANTD_LISTEN", "10.0.0.2:2222", 1);
    assert_int_equal(td_config_load_env(&c, err, sizeof(err)), TD_OK);
    assert_string_equal(c.listen, "10.0.0.2:2222"); /* env beats file */
    assert_string_equal(c.data, "/srv/tenantd");    /* file kept where env is silent */
    assert_int_equal(c.pool_max, 50);

    assert_int_equal(td_config_set(&c, "listen", "10.0.0.3:3333", err, sizeof(err)), TD_OK);
    assert_string_equal(c.listen, "10.0.0.3:3333"); /* flags beat env */

    /* A bad environment value is an error that names the variable's key. */
    setenv("TENANTD_POOL_MAX", "lots", 1);
    assert_int_equal(td_config_load_env(&c, err, sizeof(err)), TD_E_CONFIG);
    assert_non_null(strstr(err, "pool_max"));
    assert_int_equal(c.pool_max, 50);
    unsetenv("TENANTD_POOL_MAX");
    unsetenv("TENANTD_LISTEN");
    td_config_free(&c);
    unlink(path);
    free(path);
}

static void test_config_file_errors(void **state) {
    (void)state;
    unset_config_env();
    static const struct {
        const char *text, *needle;
    } cases[] = {
        {"listen = 1.2.3.4:5\nbogus_key = 1\n", "bogus_key"},
        {"[elsewhere]\nlisten = 1.2.3.4:5\n", "elsewhere"},
        {"pool_max = -1\n", "pool_max"},
        {"log = chatty\n", "log"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *path = write_temp(cases[i].text);
        td_config_t c;
        char err[256] = "";
        td_config_defaults(&c);
        td_status st = td_config_load_file(&c, path, err, sizeof(err));
        td_config_free(&c);
        unlink(path);
        free(path);
        assert_int_equal(st, TD_E_CONFIG);
        if (!strstr(err, cases[i].needle))
            fail_msg("case %zu: error '%s' does not mention '%s'", i, err, cases[i].needle);
    }
    /* Keys at top level work as under [tenantd]. */
    char *path = write_temp("listen = 1.2.3.4:5\n");
    td_config_t c;
    char err[256] = "";
    td_config_defaults(&c);
    assert_int_equal(td_config_load_file(&c, path, err, sizeof(err)), TD_OK);
    assert_string_equal(c.listen, "1.2.3.4:5");
    unlink(path);
    free(path);
    /* A missing file is an error naming it. */
    assert_int_equal(td_config_load_file(&c, "/nonexistent/tenantd.ini", err, sizeof(err)),
                     TD_E_CONFIG);
    assert_non_null(strstr(err, "/nonexistent/tenantd.ini"));
    td_config_free(&c);
}

/* ---- log --------------------------------------------------------------- */

static void test_log_secret_keys(void **state) {
    (void)state;
    static const char *const secret[] = {"password", "api_key", "Authorization", "db_url",
                                         "PASSWORD", "admin_password", "client_secret",
                                         "token", "refresh_token", "cookie", "Set-Cookie",
                                         "master_key", "catalog_url", "credentials"};
    static const char *const plain[] = {"slug", "tenant_id", "name", "status", "msg",
                                        "id", "email", "service", "plan"};
    for (size_t i = 0; i < sizeof(secret) / sizeof(secret[0]); i++)
        if (!td_log_key_is_secret(secret[i]))
            fail_msg("%s is not treated as secret", secret[i]);
    for (size_t i = 0; i < sizeof(plain) / sizeof(plain[0]); i++)
        if (td_log_key_is_secret(plain[i]))
            fail_msg("%s is treated as secret", plain[i]);
}

/* The line that reaches the log: JSON with the message escaped and secret
 * fields redacted. */
static void test_log_line_redacts(void **state) {
    (void)state;
    char path[] = "/tmp/tdunit_log.XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    td_log_set_fd(fd);
    td_log_set_level(TD_LOG_INFO);
    td_log(TD_LOG_DEBUG, "hidden debug line", NULL);
    td_log(TD_LOG_INFO, "tenant \"created\"", "slug", "acme", "password", "hunter2",
           "db_url", "postgres://u:pw@h/d", NULL);
    td_log_set_fd(STDERR_FILENO);
    char buf[2048];
    ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
    close(fd);
    unlink(path);
    assert_true(n > 0);
    buf[n] = '\0';
    assert_null(strstr(buf, "hidden debug line"));
    assert_null(strstr(buf, "hunter2"));
    assert_null(strstr(buf, "u:pw"));
    assert_non_null(strstr(buf, "\"password\":\"[redacted]\""));
    assert_non_null(strstr(buf, "\"db_url\":\"[redacted]\""));
    assert_non_null(strstr(buf, "\"slug\":\"acme\""));
    assert_non_null(strstr(buf, "\"msg\":\"tenant \\\"created\\\"\""));
    assert_non_null(strstr(buf, "\"level\":\"info\""));
    assert_int_equal(buf[0], '{');
    assert_string_equal(buf + n - 2, "}\n");
    int lines = 0;
    for (ssize_t i = 0; i < n; i++)
        lines += buf[i] == '\n';
    assert_int_equal(lines, 1); /* one event, one line */

    assert_int_equal(td_log_parse_level("warn"), TD_LOG_WARN);
    assert_int_equal(td_log_parse_level("off"), TD_LOG_OFF);
    assert_int_equal(td_log_parse_level("loud"), -1);
}

/* ---- id ---------------------------------------------------------------- */

static int cmp_str(const void *a, const void *b) { return strcmp(a, b); }

static void test_id_new_shape_unique_ordered(void **state) {
    (void)state;
    enum { N = 1000 };
    char(*ids)[TD_ID_LEN + 1] = calloc(N, sizeof(*ids));
    assert_non_null(ids);
    for (int i = 0; i < N; i++) {
        td_id_new(ids[i]);
        const char *s = ids[i];
        assert_int_equal(strlen(s), TD_ID_LEN);
        assert_true(td_id_valid(s));
        assert_int_equal(s[14], '7');               /* UUID version 7 */
        assert_non_null(strchr("89ab", s[19]));      /* RFC 4122 variant */
        if (i > 0)                                   /* 48-bit ms time prefix */
            assert_true(strncmp(ids[i - 1], s, 13) <= 0);
        char compact[33];
        td_id_compact(s, compact);
        assert_int_equal(strlen(compact), 32);
        assert_int_equal(strspn(compact, "0123456789abcdef"), 32);
    }
    qsort(ids, N, sizeof(*ids), cmp_str);
    for (int i = 1; i < N; i++)
        assert_string_not_equal(ids[i - 1], ids[i]);
    free(ids);

    char hex[33];
    td_random_hex(hex, 16);
    assert_int_equal(strlen(hex), 32);
    assert_int_equal(strspn(hex, "0123456789abcdef"), 32);
}

static void test_id_valid_rejects(void **state) {
    (void)state;
    char id[TD_ID_LEN + 1];
    td_id_new(id);
    assert_true(td_id_valid(id));
    assert_true(td_id_valid("01890a5d-ac96-774b-bcce-b302099a8057"));

    const char *bad[] = {
        NULL,
        "",
        "01890A5D-AC96-774B-BCCE-B302099A8057",   /* uppercase */
        "01890a5d-ac96-774b-bcce-b302099a805",    /* 35 */
        "01890a5d-ac96-774b-bcce-b302099a80577",  /* 37 */
        "01890a5dac96-774b-bcce-b302099a8057-",   /* dash moved */
        "01890a5d-ac96-774b-bcce-b302099a805g",   /* not hex */
        "01890a5d-ac96-774b-bcce b302099a8057",   /* space */
        "../../../../../../../../../etc/passw",   /* traversal, 36 chars */
        "01890a5d-ac96-774b-bcce-b302099a/../",   /* traversal */
        "01890a5d-ac96-774b-bcce-b302099a805\n",
        "0123456789abcdef0123456789abcdef0123",   /* no dashes */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (td_id_valid(bad[i]))
            fail_msg("bad id %zu accepted: %s", i, bad[i]);
    /* One changed character anywhere breaks it, except hex for hex. */
    for (int i = 0; i < TD_ID_LEN; i++) {
        char t[TD_ID_LEN + 1];
        memcpy(t, id, sizeof(t));
        t[i] = (t[i] == '-') ? '0' : '/';
        assert_false(td_id_valid(t));
    }
}

/* ---- text -------------------------------------------------------------- */

static void test_text_printable_utf8(void **state) {
    (void)state;
    static const char *const good[] = {
        "hello", "héllo", "日本語", "emoji \xf0\x9f\x98\x80", "\xc2\x80",  "\xc2\xa0",
        "\xed\x9f\xbf" /* U+D7FF */,  "\xee\x80\x80" /* U+E000 */,
        "\xef\xbf\xbd" /* U+FFFD */,  "\xf4\x8f\xbf\xbf" /* U+10FFFF */,
        "~ tilde and space",
    };
    static const char *const bad[] = {
        "\xc0\xaf",                 /* overlong '/' */
        "\xc1\xbf",                 /* overlong */
        "\xe0\x80\xaf",             /* overlong, 3 bytes */
        "\xf0\x80\x80\xaf",         /* overlong, 4 bytes */
        "\xed\xa0\x80",             /* surrogate U+D800 */
        "\xed\xbf\xbf",             /* surrogate U+DFFF */
        "\xf4\x90\x80\x80",         /* U+110000 */
        "\xf5\x80\x80\x80",         /* above U+10FFFF */
        "\xf8\x88\x80\x80\x80",     /* 5-byte form */
        "\xff",  "\xfe",
        "\x80",                     /* lone continuation */
        "ok\xc3",                   /* truncated at the end */
        "\xe2\x82",                 /* truncated */
        "\xe2\x82x",                /* bad continuation */
        "a\x01z", "tab\there", "line\nbreak", "cr\r", "del\x7f", "\x1b[31mred",
    };
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
        if (!td_text_printable_utf8(good[i]))
            fail_msg("good text %zu rejected", i);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (td_text_printable_utf8(bad[i]))
            fail_msg("bad text %zu accepted", i);
}

static void test_email_valid(void **state) {
    (void)state;
    char long_ok[255], long_bad[256];
    memset(long_ok, 'a', sizeof(long_ok) - 1);
    memcpy(long_ok + sizeof(long_ok) - 1 - 6, "@b.com", 6);
    long_ok[sizeof(long_ok) - 1] = '\0'; /* 254 */
    memset(long_bad, 'a', sizeof(long_bad) - 1);
    memcpy(long_bad + sizeof(long_bad) - 1 - 6, "@b.com", 6);
    long_bad[sizeof(long_bad) - 1] = '\0'; /* 255 */
    const char *good[] = {"a@b.c", "a@b", "first.last+tag@example.com", "x_y-z@sub.example.org",
                          long_ok};
    const char *bad[] = {NULL,           "",          "ab",         "a@",        "@b.c",
                         "a@@b.c",       "a@b@c",     "no-at-sign", "a b@c.d",   "a@b .c",
                         "\"a\"@b.c",    "a\\b@c.d",  "<a@b.c>",    "a@b.c>",    "a@b.c\n",
                         "\ta@b.c",      "é@b.c",     "a@b\x7f",    long_bad};
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
        if (!td_email_valid(good[i]))
            fail_msg("good e-mail %zu rejected: %s", i, good[i]);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (td_email_valid(bad[i]))
            fail_msg("bad e-mail %zu accepted: %s", i, bad[i] ? bad[i] : "(null)");
}

/* s nested n arrays deep inside {"a": …}, in a malloc'd buffer. */
static char *nested_body(size_t n, size_t *len) {
    char *s = malloc(2 * n + 8);
    assert_non_null(s);
    size_t k = 0;
    k += (size_t)sprintf(s, "{\"a\":");
    memset(s + k, '[', n);
    k += n;
    memset(s + k, ']', n);
    k += n;
    s[k++] = '}';
    s[k] = '\0';
    *len = k;
    return s;
}

/* Nesting past the limit is too_deep at any depth, including past
 * jansson's own limit (2048), where it used to be malformed_json; the
 * limit itself is accepted; brackets inside strings do not count. */
static void test_json_too_deep_at_any_depth(void **state) {
    static const size_t depths[] = {32, 33, 2047, 2049, 100000};
    for (size_t i = 0; i < sizeof(depths) / sizeof(depths[0]); i++) {
        size_t len;
        char *body = nested_body(depths[i] - 1, &len); /* + the outer object */
        json_t *v = NULL;
        td_json_error_t e = {0};
        td_status st = td_json_parse(body, len, TD_JSON_MAX_DEPTH, &v, &e);
        if (depths[i] <= TD_JSON_MAX_DEPTH) {
            assert_int_equal(st, TD_OK);
            json_decref(v);
        } else {
            assert_int_equal(st, TD_E_INVALID);
            assert_string_equal(e.code, "too_deep");
            assert_null(v);
        }
        free(body);
    }
    const char *in_string = "{\"a\":\"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\\\"[[[[\"}";
    json_t *v = NULL;
    td_json_error_t e = {0};
    assert_int_equal(td_json_parse(in_string, strlen(in_string), TD_JSON_MAX_DEPTH, &v, &e), TD_OK);
    json_decref(v);
}

/* A parse error's detail names the problem and its place, never a byte
 * of the body nor one of jansson's flags. */
static void test_json_errors_quote_nothing(void **state) {
    static const struct {
        const char *body;
        const char *code;
        const char *secret; /* must not appear in the detail */
    } cases[] = {
        {"{\"a\":\"\\u0000\"}", "malformed_json", "JSON_ALLOW_NUL"},
        {"{\"a\":\"\\uD800\"}", "malformed_json", "D800"},
        {"{\"a\":\"sekr\xe9t\"}", "malformed_json", "0xe9"},
        {"{\"password\":\"hunter2-secret\" x}", "malformed_json", "hunter2"},
        {"{\"password\":\"hunter2-secret\" x}", "malformed_json", "near"},
        {"{\"password\":\"hunter2-secret", "malformed_json", "hunter2"},
        {"{\"a\":1,\"a\":2}", "malformed_json", "'a'"},
        {"{\"a\":tru}", "malformed_json", "tru"},
        {"{\"a\":1e99999}", "malformed_json", "99999"},
        {"[1]", "not_an_object", "["},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        json_t *v = NULL;
        td_json_error_t e = {0};
        td_status st = td_json_parse(cases[i].body, strlen(cases[i].body), TD_JSON_MAX_DEPTH, &v, &e);
        assert_int_equal(st, TD_E_INVALID);
        assert_string_equal(e.code, cases[i].code);
        if (strstr(e.message, cases[i].secret) || strstr(e.message, "JSON_"))
            fail_msg("case %zu: detail \"%s\" quotes \"%s\"", i, e.message, cases[i].secret);
    }
}

int main(void) {
    if (sodium_init() < 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_arena_alloc_zeroed_aligned),
        cmocka_unit_test(test_arena_strings),
        cmocka_unit_test(test_arena_cleanups_reverse_order),
        cmocka_unit_test(test_arena_release_early),
        cmocka_unit_test(test_arena_cap),
        cmocka_unit_test(test_buf_append_printf),
        cmocka_unit_test(test_buf_max),
        cmocka_unit_test(test_buf_json_escape),
        cmocka_unit_test(test_buf_json_escape_toobig_leaves_content),
        cmocka_unit_test(test_status_codes_and_messages),
        cmocka_unit_test(test_config_defaults),
        cmocka_unit_test(test_config_set_bounds),
        cmocka_unit_test(test_config_precedence),
        cmocka_unit_test(test_config_file_errors),
        cmocka_unit_test(test_log_secret_keys),
        cmocka_unit_test(test_log_line_redacts),
        cmocka_unit_test(test_id_new_shape_unique_ordered),
        cmocka_unit_test(test_id_valid_rejects),
        cmocka_unit_test(test_text_printable_utf8),
        cmocka_unit_test(test_email_valid),
        cmocka_unit_test(test_json_too_deep_at_any_depth),
        cmocka_unit_test(test_json_errors_quote_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
