#pragma once
/* Python's json module output, byte for byte: strings as json.dumps writes them and floats as
 * Python's repr() (the shortest string that reads back to the same double). */

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* Longest repr() of a double, NUL included. */
#define PYJSON_FLOAT_MAX 40

/* Format @x as Python's repr(float) ("0.001", "1e-05", "1795312448.9535449", "-0.0"); json
 * spellings for the non-finite values ("NaN", "Infinity", "-Infinity"). Returns @buf. */
char *pyjson_float(double x, char buf[static PYJSON_FLOAT_MAX]);

/* Write @len bytes of @s as a JSON string literal with quotes. @ensure_ascii: json.dumps'
 * default (every character outside ' '..'~' as \uXXXX, UTF-16 pairs above U+FFFF); otherwise
 * json.encoder.encode_basestring (only '"', '\\' and control characters escaped). Bytes that
 * are not valid UTF-8 are written as \udcXX (Python's surrogateescape) in ASCII mode and
 * unchanged otherwise. */
void pyjson_put_string(FILE *out, const char *s, size_t len, bool ensure_ascii);

/* A copy of @len bytes of @s as Python's str.encode("utf-8", "surrogatepass") gives back a
 * string read with surrogateescape (what marshal writes): each byte that is not valid UTF-8
 * becomes the three-byte form of U+DC00 + byte. Malloc'd, NUL-terminated, length in
 * *ret_len. */
char *pyjson_surrogatepass(const char *s, size_t len, size_t *ret_len);

/* Undo the encoding of one string read by cJSON from a file that went through
 * pyjson_prepare(): turns the sentinel for U+0000 back into NUL bytes in place.
 * Returns the new length. */
size_t pyjson_restore_nuls(char *s, size_t len);

/* Rewrite @len bytes of JSON text in place (@text has room for a NUL after them) so that cJSON
 * can parse it without losing anything: "\u0000" (which cJSON would turn into a terminator)
 * becomes the two bytes C0 80, and "\udcXX" (a surrogate-escaped byte, which cJSON rejects)
 * becomes the raw byte XX. Returns @text, NUL-terminated, or NULL when the text holds a raw C0
 * byte, which valid UTF-8 never does. */
char *pyjson_prepare(char *text, size_t len);
