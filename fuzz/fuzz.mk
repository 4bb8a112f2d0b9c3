# fuzz.mk - builds and runs the libFuzzer harnesses (see doc/fuzzing.md). Not part of
# the default build: `make fuzz` calls it, tests/fuzz-smoke too. Needs clang.
#
#   make -f fuzz/fuzz.mk [srcdir=.] [builddir=.]            build every harness
#   make -f fuzz/fuzz.mk run FUZZ_SECONDS=60                 run each on its corpus
#   make -f fuzz/fuzz.mk fuzz/bin/fuzz_reply                 one harness
#
# The pure sources are compiled again here with clang and the sanitizers, into
# fuzz/obj/, beside nothing of the ordinary build.
srcdir ?= .
builddir ?= .
CLANG ?= clang
FUZZ_SECONDS ?= 60
WARN = -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes
FUZZ_FLAGS ?= -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	-fno-omit-frame-pointer -g -O1
COMPILE_FLAGS = $(subst =fuzzer$(comma),=fuzzer-no-link$(comma),$(FUZZ_FLAGS))
comma = ,
# The source folders of bridge/ (see README, "Where the code is").
LAYERS = backend daemon mapping xmpp
PKGS = libxml-2.0 inih fcgi expat icu-uc libstrophe
CPPFLAGS_FUZZ = -D_GNU_SOURCE -DSYSCONFDIR='"/etc"' -I$(builddir) -I$(srcdir)/bridge $(LAYERS:%=-I$(srcdir)/bridge/%) \
	-I$(srcdir)/fuzz $(shell pkg-config --cflags $(PKGS))
LIBS_FUZZ = $(shell pkg-config --libs $(PKGS))

# Checks of bugs still open in code other branches own: see doc/fuzzing.md.
XC_FUZZ_KNOWN ?= $(shell cat $(srcdir)/fuzz/known/masked)
export XC_FUZZ_KNOWN

HARNESSES = fuzz_response fuzz_fcgi_record fuzz_reply fuzz_request fuzz_http_req \
	fuzz_http_resp fuzz_control fuzz_config fuzz_adhoc
# The pure sources are libpure.a's, read from Makefile.am: the list lives in one place.
PURE = $(shell sed -n '/^bridge_libpure_a_SOURCES/,/^bridge_libpure_a_CFLAGS/p' \
	$(srcdir)/Makefile.am | grep -o 'bridge/[a-z_0-9/]*\.c' | sed 's|.*/||;s|\.c$$||')
HELPERS = oracle target

OBJ = $(builddir)/fuzz/obj
BIN = $(builddir)/fuzz/bin
PURE_OBJS = $(PURE:%=$(OBJ)/%.o) $(HELPERS:%=$(OBJ)/%.o)

all: $(HARNESSES:%=$(BIN)/%)

vpath %.c $(srcdir)/bridge $(LAYERS:%=$(srcdir)/bridge/%) $(srcdir)/fuzz
HEADERS = $(wildcard $(srcdir)/bridge/*.h $(srcdir)/bridge/*/*.h $(srcdir)/fuzz/*.h)

$(OBJ)/%.o: %.c $(HEADERS) $(builddir)/autoconfig.h
	@mkdir -p $(OBJ)
	$(CLANG) -std=c11 $(WARN) $(COMPILE_FLAGS) $(CPPFLAGS_FUZZ) -c -o $@ $<

$(BIN)/%: $(OBJ)/%.o $(PURE_OBJS)
	@mkdir -p $(BIN)
	$(CLANG) $(FUZZ_FLAGS) -o $@ $^ $(LIBS_FUZZ)

# Each harness on its own corpus (read-only: new inputs go to a scratch directory).
run: all
	@set -e; for h in $(HARNESSES); do \
		new=$$(mktemp -d); \
		echo "== $$h ($(FUZZ_SECONDS) s, masked: $$XC_FUZZ_KNOWN)"; \
		$(BIN)/$$h -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
			-artifact_prefix=$(builddir)/fuzz/ $$new $(srcdir)/fuzz/corpus/$$h </dev/null \
			|| { rm -rf $$new; exit 1; }; \
		rm -rf $$new; \
	done

clean:
	rm -rf $(OBJ) $(BIN)

.PHONY: all run clean
.PRECIOUS: $(OBJ)/%.o
