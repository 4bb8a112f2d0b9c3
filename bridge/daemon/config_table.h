/* config_table.h - a section's keys as data: name, setter, field offset, limits.
 *
 * As nginx's ngx_command_t: each section ([xmpp], [route "NAME"], [control], [daemon],
 * [metrics]) lists its keys in a table of struct cfg_command, and cfg_table_key finds
 * the key, refuses an unknown or repeated one with file:line, and calls the setter with
 * the struct the section fills. Generic setters cover numbers, sizes and booleans
 * through offsetof; a key with more meaning has a setter of its own next to its table.
 * cfg_fail_at, the one way a load fails, lives here so that no section file needs
 * config.c. */
#ifndef XC_CONFIG_TABLE_H
#define XC_CONFIG_TABLE_H

#include <limits.h>
#include <stddef.h>

struct loader;
struct cfg_command;

/* Sets the key from v into conf (the section's struct); 1 on success, else 0 after
 * cfg_fail_at. */
typedef int cfg_setter(struct loader *ld, const struct cfg_command *cmd, void *conf, const char *v);

enum cfg_command_flags {
	CFG_ONCE = 0,  /* a second line of the key is a duplicate */
	CFG_MULTI = 1, /* the key may repeat (lists) */
};

struct cfg_command {
	const char *name;
	cfg_setter *set;
	unsigned flags;
	size_t offset;          /* of the field the generic setters write, in conf */
	unsigned long min, max; /* range of cfg_set_uint and cfg_set_size */
	const char *what;       /* "is not ..." after "KEY 'VALUE' " in the error */
};

int cfg_fail_at(struct loader *ld, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The command called name in cmds (n of them), marked in *seen (bit = its index), or
 * NULL after failing: "unknown key 'NAME' in [LABEL]" or "duplicate key 'NAME' in
 * [LABEL]". At most CFG_TABLE_MAX_KEYS commands a table. */
const struct cfg_command *cfg_table_claim(struct loader *ld, const struct cfg_command *cmds,
                                          size_t n, const char *label, unsigned *seen,
                                          const char *name);
/* cfg_table_claim, then the command's setter on conf. */
int cfg_table_key(struct loader *ld, const struct cfg_command *cmds, size_t n, const char *label,
                  unsigned *seen, void *conf, const char *name, const char *v);

/* unsigned field, cfg_parse_uint(min, max) */
cfg_setter cfg_set_uint;
/* size_t field, cfg_parse_size(min, max) */
cfg_setter cfg_set_size;
/* bool field, cfg_parse_bool */
cfg_setter cfg_set_bool;

#define CFG_N(table) (sizeof(table) / sizeof *(table))
/* A table's repeats are tracked in an unsigned, one bit a key: checked at compile time
 * after each table. */
#define CFG_TABLE_MAX_KEYS (sizeof(unsigned) * CHAR_BIT)
#define CFG_TABLE_FITS(table)                                                                      \
	_Static_assert(CFG_N(table) <= CFG_TABLE_MAX_KEYS,                                             \
	               #table ": more keys than a repeat mask holds")

/* Table rows: a key with its own setter, a repeatable one, one written at a field. */
#define CFG_KEY(key, setter)                                                                       \
	{                                                                                              \
		.name = (key), .set = (setter)                                                             \
	}
#define CFG_LIST(key, setter)                                                                      \
	{                                                                                              \
		.name = (key), .set = (setter), .flags = CFG_MULTI                                         \
	}
#define CFG_AT(key, setter, type, field)                                                           \
	{                                                                                              \
		.name = (key), .set = (setter), .offset = offsetof(type, field)                            \
	}
#define CFG_UINT(key, type, field, lo, hi, text)                                                   \
	{                                                                                              \
		.name = (key), .set = cfg_set_uint, .offset = offsetof(type, field), .min = (lo),          \
		.max = (hi), .what = (text)                                                                \
	}
#define CFG_SIZE(key, type, field, lo, hi, text)                                                   \
	{                                                                                              \
		.name = (key), .set = cfg_set_size, .offset = offsetof(type, field), .min = (lo),          \
		.max = (hi), .what = (text)                                                                \
	}
#define CFG_BOOL(key, type, field) CFG_AT(key, cfg_set_bool, type, field)

#endif
