/* text.h — checks on user-supplied text. */
#ifndef TD_TEXT_H
#define TD_TEXT_H

#include <stddef.h>

/* 1 when s is valid UTF-8 (no overlong forms, surrogates or code points
 * above U+10FFFF) without C0 control characters or DEL. */
int td_text_printable_utf8(const char *s);
/* 1 for a plausible e-mail address: local@domain, 3..254 printable ASCII
 * characters, one @, no quotes, spaces, backslashes or angle brackets. */
int td_email_valid(const char *e);
/* Copies s into out (n bytes) with ASCII letters lower-cased; 0, or -1
 * when it does not fit (out is then empty). */
int td_ascii_lower(const char *s, char *out, size_t n);

#endif
