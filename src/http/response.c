/* response.c — filling a request's response: bytes, headers, RFC 9457
 * problems. Sending is server.c's (send_response), or conn.c's for
 * answers written straight to the socket. */
#include <microhttpd.h>
#include <string.h>

#include "common/log.h"
#include "http/http_int.h"

void td_resp_bytes(td_req_t *req, int status, const char *content_type, const char *body,
                   size_t len) {
    char *copy = td_arena_alloc(req->arena, len + 1);
    if (!copy) {
        static const char oom[] = "{\"code\":\"internal\",\"title\":\"out of memory\"}";
        td_resp_static(req, 500, "application/problem+json", oom, sizeof(oom) - 1);
        return;
    }
    if (len)
        memcpy(copy, body, len);
    td_resp_static(req, status, content_type, copy, len);
}

void td_resp_static(td_req_t *req, int status, const char *content_type, const char *body,
                    size_t len) {
    req->status = status;
    req->content_type = content_type;
    req->resp_body = body;
    req->resp_len = len;
}

/* Copies name and value into the arena. A name with CR, LF, ':' or
 * blanks, or a value with CR or LF, would split the response: such a header
 * is dropped and logged by name only (values may be secrets), as is one
 * past TD_MAX_RESP_HEADERS. */
void td_resp_header(td_req_t *req, const char *name, const char *value) {
    if (!name || !value || req->nhdrs >= TD_MAX_RESP_HEADERS || strpbrk(name, "\r\n: \t") ||
        strpbrk(value, "\r\n")) {
        td_log(TD_LOG_WARN, "response header dropped", "header", name ? name : "",
               "request_id", req->request_id, NULL);
        return;
    }
    const char *n = td_arena_strdup(req->arena, name);
    const char *v = td_arena_strdup(req->arena, value);
    if (!n || !v)
        return;
    req->hdr_names[req->nhdrs] = n;
    req->hdr_values[req->nhdrs] = v;
    req->nhdrs++;
}

void td_resp_problem(td_req_t *req, int status, const char *code, const char *title,
                     const char *detail) {
    td_resp_problem_ext(req, status, code, title, detail, NULL);
}

void td_resp_problem_ext(td_req_t *req, int status, const char *code, const char *title,
                         const char *detail, const char *members) {
    if (!code)
        code = "error";
    if (!title) {
        title = MHD_get_reason_phrase_for((unsigned)status);
        title = title && *title ? title : "Error";
    }
    td_buf_t b;
    td_buf_init(&b, 64 << 10);
    td_buf_puts(&b, "{\"type\":\"/problems/");
    size_t at = b.len;
    td_buf_json_escape(&b, code);
    for (size_t i = at; i < b.len; i++)
        if (b.data[i] == '_')
            b.data[i] = '-';
    td_buf_puts(&b, "\",\"title\":\"");
    td_buf_json_escape(&b, title);
    td_buf_printf(&b, "\",\"status\":%d,\"code\":\"", status);
    td_buf_json_escape(&b, code);
    /* detail is never null: a client shows it as it is */
    td_buf_puts(&b, "\",\"detail\":\"");
    td_buf_json_escape(&b, detail ? detail : title);
    td_buf_puts(&b, "\"");
    td_buf_puts(&b, ",\"request_id\":\"");
    td_buf_json_escape(&b, req->request_id);
    td_buf_puts(&b, "\"");
    if (members && *members) {
        td_buf_puts(&b, ",");
        td_buf_puts(&b, members);
    }
    td_status st = td_buf_puts(&b, "}");
    if (st == TD_OK)
        td_resp_bytes(req, status, "application/problem+json", b.data, b.len);
    else
        td_resp_bytes(req, status, "application/problem+json", "{}", 2);
    td_buf_free(&b);
}
