/*
 * utf8.h
 *	  Strict UTF-8 decoding shared by the core (pure C).
 */
#ifndef CSSTATS_UTF8_H
#define CSSTATS_UTF8_H

#include <stddef.h>
#include <stdint.h>

/*
 * Decode the character at s (len bytes available, len > 0) into *cp and
 * return its length in bytes, or 0 when the sequence is invalid: a bad lead
 * or continuation byte, truncation, an overlong form, a surrogate or a value
 * above U+10FFFF.
 */
extern size_t cs_utf8_decode(const unsigned char *s, size_t len, uint32_t *cp);

#endif							/* CSSTATS_UTF8_H */
