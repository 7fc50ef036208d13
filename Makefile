# csstats: customer-support chat statistics for PostgreSQL (PGXS build)
EXTENSION = csstats
EXTVERSION = 0.1.0

MODULE_big = csstats
# Pure C core (src/core, no PostgreSQL headers) and the thin PostgreSQL glue (src).
OBJS = \
	src/csstats.o \
	src/demo.o \
	src/core/demo_gen.o \
	src/sketch.o \
	src/core/ddsketch.o \
	src/select.o \
	src/calendar.o \
	src/core/calendar.o \
	src/metrics.o \
	src/core/timeline.o \
	src/core/tlpack.o \
	src/export.o \
	src/export_sheets.o \
	src/export_file.o \
	src/audit.o \
	src/core/xlsxout.o \
	src/core/agile.o \
	src/core/cfb.o \
	src/core/zipenc.o \
	src/core/cserr.o \
	src/core/utf8.o

# cserr.c's vsnprintf wrapper trips PostgreSQL's -Wmissing-format-attribute
src/core/cserr.o: override CFLAGS += -Wno-missing-format-attribute

# The install script is assembled from one file per concern (sql/install/NN_*.sql),
# in name order, like pgvector builds its script from sql/vector.sql.
DATA_built = sql/$(EXTENSION)--$(EXTVERSION).sql
INSTALL_PARTS = $(sort $(wildcard sql/install/*.sql))

# pg_regress inputs sql/<name>.sql, outputs expected/<name>.out.
REGRESS = setup schema generator dump_config sketch filters metrics_examples metrics_messy metrics_parallel calendar sheets sheets_related export
REGRESS_OPTS = --dbname=csstats_regression
NO_LOCALE = 1

PKGS = xlsxwriter openssl libzip zlib
PG_CPPFLAGS = -std=gnu11 -Isrc -Isrc/core $(shell pkg-config --cflags $(PKGS))
PG_CFLAGS = -Wall -Wextra -Werror -Wno-unused-parameter -Wno-sign-compare \
	-Wno-missing-field-initializers -Wno-cast-function-type
# The test build (CSSTATS_ASSERT=1, set by the test command) enables Assert().
ifeq ($(CSSTATS_ASSERT),1)
PG_CFLAGS += -DUSE_ASSERT_CHECKING
endif
SHLIB_LINK = $(shell pkg-config --libs $(PKGS)) -lm

EXTRA_CLEAN = results regression.diffs regression.out log tmp_check

PG_CONFIG ?= /usr/lib/postgresql/15/bin/pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

sql/$(EXTENSION)--$(EXTVERSION).sql: $(INSTALL_PARTS)
	cat $^ > $@

.PHONY: demo test bench unit
demo:
	bash test/demo.sh
test:
	bash test/test.sh
bench:
	bash test/bench.sh
unit:
	$(MAKE) -C test/unit
