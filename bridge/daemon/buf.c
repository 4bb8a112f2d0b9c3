/* buf.c - growable byte buffer (pure; see buf.h). */
#include "buf.h"

#include <stdlib.h>
#include <string.h>

char *buf_extend(struct buf *b, size_t len)
{
	char *start;
	if (b->len + len + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		char *p;
		while (cap < b->len + len + 1)
			cap *= 2;
		p = realloc(b->data, cap);
		if (!p)
			return NULL;
		b->data = p;
		b->cap = cap;
	}
	start = b->data + b->len;
	b->len += len;
	b->data[b->len] = '\0';
	return start;
}

int buf_append(struct buf *b, const void *data, size_t len)
{
	char *p = buf_extend(b, len);
	if (!p)
		return -1;
	if (len)
		memcpy(p, data, len);
	return 0;
}

int buf_puts(struct buf *b, const char *s) { return buf_append(b, s, strlen(s)); }

void buf_reset(struct buf *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
}

void buf_free(struct buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

char *buf_steal(struct buf *b)
{
	char *p = b->data;
	if (!p)
		p = calloc(1, 1);
	b->data = NULL;
	b->len = b->cap = 0;
	return p;
}
