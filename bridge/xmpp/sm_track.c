/* sm_track.c - the unacked list and the seen table of a link (pure; see sm_track.h).
 *
 * The unacked list is a FIFO numbered like the server numbers what it receives; acks
 * compare numbers modulo 2^32 as XEP-0198 asks. The seen table is a hash of
 * "sender NUL id" with a list in order of arrival for expiry: an entry goes when its
 * answer is older than the window, when its handler has run implausibly long, or when
 * the table is full (oldest first). The bucket array doubles whenever the entries
 * outnumber the buckets, so a chain stays short at any rate: a fixed 1024 buckets
 * made chains of 64 at 10,000 requests a second, and the walk cost the bridge an eighth
 * of its CPU (bench/RESULTS.md). */
#include "sm_track.h"

#include <stdlib.h>
#include <string.h>

struct sm_item *sm_item_new(const char *xml, size_t len, uint64_t born_ms)
{
	struct sm_item *it = malloc(sizeof *it + len + 1);
	if (!it)
		return NULL;
	it->next = NULL;
	it->seq = 0;
	it->born_ms = born_ms;
	it->sent_ms = born_ms;
	it->own = false;
	it->len = len;
	memcpy(it->xml, xml, len);
	it->xml[len] = '\0';
	return it;
}

void sm_unacked_push(struct sm_unacked *u, struct sm_item *it)
{
	it->next = NULL;
	it->seq = u->next_seq++;
	if (u->tail)
		u->tail->next = it;
	else
		u->head = it;
	u->tail = it;
	u->count++;
}

int sm_unacked_ack(struct sm_unacked *u, uint32_t h)
{
	int n = 0;
	if ((int32_t)(h - u->next_seq) > 0)
		return -1;
	while (u->head && (int32_t)(h - u->head->seq) > 0) {
		struct sm_item *it = u->head;
		u->head = it->next;
		free(it);
		u->count--;
		n++;
	}
	if (!u->head)
		u->tail = NULL;
	return n;
}

struct sm_item *sm_unacked_take(struct sm_unacked *u, uint32_t next_seq)
{
	struct sm_item *list = u->head;
	u->head = u->tail = NULL;
	u->count = 0;
	u->next_seq = next_seq;
	return list;
}

void sm_items_free(struct sm_item *list)
{
	while (list) {
		struct sm_item *next = list->next;
		free(list);
		list = next;
	}
}

void sm_unacked_clear(struct sm_unacked *u) { sm_items_free(sm_unacked_take(u, 0)); }

/* Copies an attribute value up to its closing quote, resolving entities. */
static bool copy_value(const char *p, char quote, char *out, size_t out_len)
{
	static const struct {
		const char *ent;
		char c;
	} ents[] = {{"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&apos;", '\''}};
	size_t n = 0;
	while (*p && *p != quote) {
		char c = *p++;
		if (c == '&') {
			size_t k;
			for (k = 0; k < sizeof ents / sizeof ents[0]; k++)
				if (strncmp(p - 1, ents[k].ent, strlen(ents[k].ent)) == 0)
					break;
			if (k == sizeof ents / sizeof ents[0])
				return false;
			p += strlen(ents[k].ent) - 1;
			c = ents[k].c;
		}
		if (n + 1 >= out_len)
			return false;
		out[n++] = c;
	}
	if (*p != quote)
		return false;
	out[n] = '\0';
	return true;
}

bool sm_stanza_key(const char *xml, char *name, size_t name_len, char *type, size_t type_len,
                   char *id, size_t id_len, char *to, size_t to_len)
{
	const char *p = xml;
	size_t n;
	name[0] = type[0] = id[0] = to[0] = '\0';
	while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
		p++;
	if (*p++ != '<')
		return false;
	n = strcspn(p, " \t\r\n/>");
	if (n == 0 || n >= name_len)
		return false;
	memcpy(name, p, n);
	name[n] = '\0';
	p += n;
	for (;;) {
		const char *attr;
		size_t alen;
		char quote;
		while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
			p++;
		if (*p == '>' || *p == '/' || !*p)
			return *p != '\0';
		attr = p;
		alen = strcspn(p, " \t\r\n=");
		p += alen;
		while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
			p++;
		if (*p++ != '=')
			return false;
		while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
			p++;
		quote = *p++;
		if (quote != '"' && quote != '\'')
			return false;
		if (alen == 4 && strncmp(attr, "type", 4) == 0) {
			if (!copy_value(p, quote, type, type_len))
				return false;
		} else if (alen == 2 && strncmp(attr, "id", 2) == 0) {
			if (!copy_value(p, quote, id, id_len))
				return false;
		} else if (alen == 2 && strncmp(attr, "to", 2) == 0) {
			if (!copy_value(p, quote, to, to_len))
				return false;
		}
		p = strchr(p, quote);
		if (!p)
			return false;
		p++;
	}
}

struct iq_seen_entry {
	struct iq_seen_entry *chain; /* same bucket */
	struct iq_seen_entry *later; /* arrival order */
	enum iq_seen_state state;
	uint64_t since_ms; /* arrival, then answer */
	size_t hash;
	size_t key_len;
	char key[]; /* sender NUL id */
};

#define IQ_SEEN_MIN_BUCKETS 1024 /* a power of two, like every size after it */

int iq_seen_init(struct iq_seen *t, size_t max, uint64_t answered_window_ms,
                 uint64_t running_max_ms)
{
	memset(t, 0, sizeof *t);
	t->n_buckets = IQ_SEEN_MIN_BUCKETS;
	t->buckets = calloc(t->n_buckets, sizeof *t->buckets);
	t->max = max;
	t->answered_window_ms = answered_window_ms;
	t->running_max_ms = running_max_ms;
	return t->buckets ? 0 : -1;
}

static size_t key_hash(const char *key, size_t len)
{
	size_t h = 2166136261u;
	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)key[i]) * 16777619u;
	return h;
}

static size_t make_key(char *buf, size_t buf_len, const char *from, const char *id)
{
	size_t fl = strlen(from), il = strlen(id);
	if (fl + il + 1 > buf_len)
		return 0;
	memcpy(buf, from, fl);
	buf[fl] = '\0';
	memcpy(buf + fl + 1, id, il);
	return fl + il + 1;
}

static struct iq_seen_entry **find(struct iq_seen *t, const char *key, size_t len, size_t hash)
{
	struct iq_seen_entry **pp = &t->buckets[hash & (t->n_buckets - 1)];
	for (; *pp; pp = &(*pp)->chain)
		if ((*pp)->hash == hash && (*pp)->key_len == len && memcmp((*pp)->key, key, len) == 0)
			return pp;
	return pp;
}

static void drop_oldest(struct iq_seen *t)
{
	struct iq_seen_entry *e = t->oldest;
	struct iq_seen_entry **pp = find(t, e->key, e->key_len, e->hash);
	if (*pp == e)
		*pp = e->chain;
	t->oldest = e->later;
	if (!t->oldest)
		t->newest = NULL;
	t->count--;
	free(e);
}

static bool expired(const struct iq_seen *t, const struct iq_seen_entry *e, uint64_t now)
{
	if (e->state == IQ_SEEN_ANSWERED)
		return now - e->since_ms > t->answered_window_ms;
	return now - e->since_ms > t->running_max_ms;
}

/* Entries leave in arrival order; one still running holds back those behind it until
 * it is answered, expires or the table is full. */
static void expire(struct iq_seen *t, uint64_t now)
{
	while (t->oldest && (t->count > t->max || expired(t, t->oldest, now)))
		drop_oldest(t);
}

/* Doubles the buckets and rehangs every entry, walking the arrival list. Without
 * memory the table stays as it is: slower, still right. */
static void grow(struct iq_seen *t)
{
	size_t n = t->n_buckets * 2;
	struct iq_seen_entry **buckets = calloc(n, sizeof *buckets);
	if (!buckets)
		return;
	for (struct iq_seen_entry *e = t->oldest; e; e = e->later) {
		struct iq_seen_entry **head = &buckets[e->hash & (n - 1)];
		e->chain = *head;
		*head = e;
	}
	free(t->buckets);
	t->buckets = buckets;
	t->n_buckets = n;
}

bool iq_seen_arrived(struct iq_seen *t, const char *from, const char *id, uint64_t now_ms)
{
	char key[1024];
	size_t len = make_key(key, sizeof key, from ? from : "", id ? id : "");
	size_t hash;
	struct iq_seen_entry **pp, *e;
	expire(t, now_ms);
	if (!len || !t->buckets)
		return false;
	hash = key_hash(key, len);
	pp = find(t, key, len, hash);
	if (*pp && !expired(t, *pp, now_ms))
		return true;
	if (*pp) { /* an old answer: the id is used again */
		(*pp)->state = IQ_SEEN_RUNNING;
		(*pp)->since_ms = now_ms;
		return false;
	}
	e = malloc(sizeof *e + len);
	if (!e)
		return false;
	e->chain = NULL;
	e->later = NULL;
	e->state = IQ_SEEN_RUNNING;
	e->since_ms = now_ms;
	e->hash = hash;
	e->key_len = len;
	memcpy(e->key, key, len);
	*pp = e;
	if (t->newest)
		t->newest->later = e;
	else
		t->oldest = e;
	t->newest = e;
	t->count++;
	expire(t, now_ms);
	if (t->count > t->n_buckets && t->n_buckets < t->max)
		grow(t);
	return false;
}

void iq_seen_answered(struct iq_seen *t, const char *to, const char *id, uint64_t now_ms)
{
	char key[1024];
	size_t len = make_key(key, sizeof key, to ? to : "", id ? id : "");
	struct iq_seen_entry *e;
	if (!len || !t->buckets)
		return;
	e = *find(t, key, len, key_hash(key, len));
	if (e && e->state == IQ_SEEN_RUNNING) {
		e->state = IQ_SEEN_ANSWERED;
		e->since_ms = now_ms;
	}
}

void iq_seen_free(struct iq_seen *t)
{
	while (t->oldest)
		drop_oldest(t);
	free(t->buckets);
	t->buckets = NULL;
}
