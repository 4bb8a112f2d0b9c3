/* metrics_text.c - Prometheus text exposition (pure; see metrics_text.h). */
#include "metrics_text.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static int put_escaped(struct buf *out, const char *s, bool help)
{
	for (; *s; s++) {
		const char *esc = *s == '\\'           ? "\\\\"
		                  : *s == '\n'         ? "\\n"
		                  : *s == '"' && !help ? "\\\""
		                                       : NULL;
		if (esc ? buf_puts(out, esc) : buf_append(out, s, 1))
			return -1;
	}
	return 0;
}

static int put_number(struct buf *out, double v)
{
	char num[40];
	if (isinf(v))
		return buf_puts(out, v > 0 ? "+Inf" : "-Inf");
	if (isnan(v))
		return buf_puts(out, "NaN");
	if (v > -1e15 && v < 1e15 && v == (double)(long long)v)
		snprintf(num, sizeof num, "%.0f", v);
	else
		snprintf(num, sizeof num, "%.17g", v);
	return buf_puts(out, num);
}

int mt_family(struct buf *out, const char *name, const char *type, const char *help)
{
	if (buf_puts(out, "# HELP ") || buf_puts(out, name) || buf_puts(out, " ") ||
	    put_escaped(out, help, true) || buf_puts(out, "\n# TYPE ") || buf_puts(out, name) ||
	    buf_puts(out, " ") || buf_puts(out, type) || buf_puts(out, "\n"))
		return -1;
	return 0;
}

/* name{labels[,extra="extra_value"]} */
static int put_series(struct buf *out, const char *name, const char *suffix,
                      const struct mt_labels *l, const char *extra, const char *extra_value)
{
	size_t n = l ? l->n : 0;
	if (buf_puts(out, name) || buf_puts(out, suffix))
		return -1;
	if (!n && !extra)
		return 0;
	if (buf_puts(out, "{"))
		return -1;
	for (size_t i = 0; i < n; i++)
		if ((i && buf_puts(out, ",")) || buf_puts(out, l->pairs[2 * i]) || buf_puts(out, "=\"") ||
		    put_escaped(out, l->pairs[2 * i + 1], false) || buf_puts(out, "\""))
			return -1;
	if (extra && ((n && buf_puts(out, ",")) || buf_puts(out, extra) || buf_puts(out, "=\"") ||
	              buf_puts(out, extra_value) || buf_puts(out, "\"")))
		return -1;
	return buf_puts(out, "}");
}

int mt_sample(struct buf *out, const char *name, const struct mt_labels *l, double value)
{
	if (put_series(out, name, "", l, NULL, NULL) || buf_puts(out, " ") || put_number(out, value) ||
	    buf_puts(out, "\n"))
		return -1;
	return 0;
}

int mt_histogram(struct buf *out, const char *name, const struct mt_labels *l,
                 const struct mt_histogram *h)
{
	uint64_t total = 0;
	char le[40];
	for (size_t i = 0; i <= h->n_bounds; i++) {
		total += h->counts[i];
		if (i < h->n_bounds)
			snprintf(le, sizeof le, "%g", h->bounds[i]);
		else
			snprintf(le, sizeof le, "+Inf");
		if (put_series(out, name, "_bucket", l, "le", le) || buf_puts(out, " ") ||
		    put_number(out, (double)total) || buf_puts(out, "\n"))
			return -1;
	}
	if (put_series(out, name, "_sum", l, NULL, NULL) || buf_puts(out, " ") ||
	    put_number(out, h->sum) || buf_puts(out, "\n"))
		return -1;
	if (put_series(out, name, "_count", l, NULL, NULL) || buf_puts(out, " ") ||
	    put_number(out, (double)total) || buf_puts(out, "\n"))
		return -1;
	return 0;
}
