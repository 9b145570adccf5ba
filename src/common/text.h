/* text.h — checks on user-supplied text. */
#ifndef TD_TEXT_H
#define TD_TEXT_H

#include <stddef.h>
#include <stdint.h>

/* 1 when s is valid UTF-8 (no overlong forms, surrogates or code points
 * above U+10FFFF) without C0 control characters or DEL. */
int td_text_printable_utf8(const char *s);
/* The characters (code points) of UTF-8 text: its bytes that do not
 * continue a sequence. */
size_t td_utf8_chars(const char *s);
/* 1 for a plausible e-mail address: local@domain, 3..254 printable ASCII
 * characters, one @, no quotes, spaces, backslashes or angle brackets. */
int td_email_valid(const char *e);
/* Copies s into out (n bytes) with ASCII letters lower-cased; 0, or -1
 * when it does not fit (out is then empty). */
int td_ascii_lower(const char *s, char *out, size_t n);

/* FNV-1a of the n bytes at p (64-bit), of a C string (64- and 32-bit):
 * hash tables' slots and stripes, ETags. Not for anything an attacker
 * must not predict. */
uint64_t td_hash64_bytes(const void *p, size_t n);
uint64_t td_hash64(const char *s);
uint32_t td_hash32(const char *s);

#endif
