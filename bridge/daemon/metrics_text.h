/* metrics_text.h - the Prometheus text exposition format, version 0.0.4 (pure).
 *
 * Writes metric families into a buf: a HELP and a TYPE line, then the samples, each
 * "name{label="value",...} number". Label values are escaped as the format asks (\\,
 * \" and \n); a histogram becomes its _bucket lines (cumulative, ending with le="+Inf"),
 * _sum and _count. The caller groups each family's samples after its header, which is
 * what the format requires. Every function returns 0, or -1 when out of memory. */
#ifndef XC_METRICS_TEXT_H
#define XC_METRICS_TEXT_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/* Labels are name/value pairs: labels[2*i] is a name, labels[2*i+1] its value. */
struct mt_labels {
	const char *const *pairs;
	size_t n; /* number of pairs */
};

struct mt_histogram {
	const double *bounds;   /* upper bounds in ascending order, without +Inf */
	const uint64_t *counts; /* per bucket (not cumulative); n_bounds + 1 entries, last: above */
	size_t n_bounds;
	double sum;
};

int mt_family(struct buf *out, const char *name, const char *type, const char *help);
int mt_sample(struct buf *out, const char *name, const struct mt_labels *l, double value);
int mt_histogram(struct buf *out, const char *name, const struct mt_labels *l,
                 const struct mt_histogram *h);

#endif
