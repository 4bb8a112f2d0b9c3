/* buf.h - a growable byte buffer, the one container the pure modules share.
 *
 * The data is always NUL-terminated (not counted in len) so that text can be handed
 * to string functions without a copy. Allocation failure is reported, never hidden. */
#ifndef XC_BUF_H
#define XC_BUF_H

#include <stddef.h>

struct buf {
	char *data;
	size_t len;
	size_t cap;
};

int buf_append(struct buf *b, const void *data, size_t len);
/* Lengthens b by len bytes, for the caller to fill, and returns where they start;
 * NULL when out of memory (b unchanged). */
char *buf_extend(struct buf *b, size_t len);
int buf_puts(struct buf *b, const char *s);
void buf_reset(struct buf *b);
void buf_free(struct buf *b);
/* Hands the data over to the caller (malloc'd, NUL-terminated) and empties b. */
char *buf_steal(struct buf *b);

#endif
