# csstats: customer-support chat statistics for PostgreSQL (PGXS build)
EXTENSION = csstats
EXTVERSION = 0.2.0
# Works in the source tree (make) and out of it (make -f /src/Makefile, or
# VPATH=/src as pg_buildext does in build-15/): every source path below is
# relative to SRC (the directory of this Makefile) and every generated file goes
# to the current directory.  (PGXS's own $(srcdir) is set only once it is
# included, too late for the variables it reads at inclusion.)
SRC := $(patsubst %/,%,$(dir $(abspath $(firstword $(MAKEFILE_LIST)))))

MODULE_big = csstats
# Pure C core (src/core, no PostgreSQL headers) and the thin PostgreSQL glue (src).
OBJS = \
	src/csstats.o \
	src/demo.o \
	src/core/demo_gen.o \
	src/sketch.o \
	src/core/ddsketch.o \
	src/tag_match.o \
	src/inbox.o \
	src/core/inbox.o \
	src/calendar.o \
	src/core/schedule.o \
	src/metrics_state.o \
	src/metrics_trans.o \
	src/metrics_combine.o \
	src/metrics_serial.o \
	src/metrics_final.o \
	src/core/timeline.o \
	src/core/tlpack.o \
	src/export.o \
	src/export_request.o \
	src/export_settings.o \
	src/export_errors.o \
	src/export_catalog.o \
	src/export_sheets.o \
	src/export_summary.o \
	src/doc_writer_xlsx.o \
	src/doc_writer_json.o \
	src/close_thread.o \
	src/export_tmp.o \
	src/export_encrypt.o \
	src/export_file.o \
	src/audit.o \
	src/audit_worker.o \
	src/owner.o \
	src/password_key.o \
	src/password_store.o \
	src/pause.o \
	src/core/xlsxout.o \
	src/core/xlsxsummary.o \
	src/core/agile.o \
	src/core/cfb.o \
	src/core/zipenc.o \
	src/core/cserr.o \
	src/core/utf8.o

# cserr.c's vsnprintf wrapper trips PostgreSQL's -Wmissing-format-attribute
src/core/cserr.o: override CFLAGS += -Wno-missing-format-attribute

# The install script of the version being built is assembled from one file per
# concern (sql/install/NN_*.sql), in name order, like pgvector builds its script
# from sql/vector.sql.  Released scripts (sql/csstats--A.sql, and the update
# scripts sql/csstats--A--B.sql) are committed and never edited again.
# An absolute name: VPATH would otherwise find an in-tree build's script and
# call the out-of-tree one up to date.
DATA_built = $(CURDIR)/sql/$(EXTENSION)--$(EXTVERSION).sql
DATA = $(filter-out sql/$(EXTENSION)--$(EXTVERSION).sql,$(patsubst $(SRC)/%,%,$(wildcard $(SRC)/sql/$(EXTENSION)--*.sql)))
INSTALL_PARTS = $(sort $(wildcard $(SRC)/sql/install/*.sql))
ifeq ($(strip $(INSTALL_PARTS)),)
$(error no install-script parts in $(SRC)/sql/install: refusing to build an empty $(DATA_built))
endif

# pg_regress inputs sql/<name>.sql, outputs expected/<name>.out.
REGRESS = setup schema generator dump_config sketch filters metrics_examples metrics_messy metrics_parallel metrics_tenants calendar calendar_roles sheets sheets_related case_columns export export_password settings inbox bi_views
REGRESS_OPTS = --dbname=csstats_regression
NO_LOCALE = 1

PKGS = xlsxwriter openssl libzip zlib
PG_CPPFLAGS = -std=gnu11 -I$(SRC)/src -I$(SRC)/src/core $(shell pkg-config --cflags $(PKGS))
PG_CFLAGS = -Wall -Wextra -Wno-unused-parameter -Wno-sign-compare \
	-Wno-missing-field-initializers -Wno-cast-function-type
# The test build (CSSTATS_ASSERT=1, set by the test command) enables Assert()
# and the crash-test pause points, and turns warnings into errors.  User builds
# (make, make install, the Debian package) never use -Werror, so a newer
# compiler's new warning cannot break an installation.
# "make install" on its own installs the variant the last build built (as in
# "make CSSTATS_ASSERT=1 && make install"), instead of rebuilding another one.
ifeq ($(origin CSSTATS_ASSERT)$(strip $(MAKECMDGOALS)),undefinedinstall)
LAST_VARIANT := $(shell cat build-variant.stamp 2>/dev/null)
CSSTATS_ASSERT := $(patsubst assert=%,%,$(filter assert=%,$(LAST_VARIANT)))
CSSTATS_WERROR := $(patsubst werror=%,%,$(filter werror=%,$(LAST_VARIANT)))
endif
ifeq ($(CSSTATS_ASSERT),)
override CSSTATS_ASSERT := 0
endif
CSSTATS_WERROR ?= $(CSSTATS_ASSERT)
ifeq ($(CSSTATS_WERROR),)
override CSSTATS_WERROR := $(CSSTATS_ASSERT)
endif
ifeq ($(CSSTATS_ASSERT),1)
PG_CFLAGS += -DUSE_ASSERT_CHECKING -DCSSTATS_PAUSE_POINTS
endif
ifeq ($(CSSTATS_WERROR),1)
PG_CFLAGS += -Werror
endif
SHLIB_LINK = $(shell pkg-config --libs $(PKGS)) -lm

EXTRA_CLEAN = results regression.diffs regression.out log tmp_check build-variant.stamp \
	install-parts.stamp

PG_CONFIG ?= /usr/lib/postgresql/15/bin/pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# Objects go below the current directory, which in an out-of-tree build has no
# src/ yet.
$(shell mkdir -p src/core sql)

# The assert (test) build and the plain (bench, user) build must never reuse
# each other's objects: the variant is recorded in a stamp that every object
# depends on, rewritten (so everything rebuilds) only when it changes.
BUILD_VARIANT := assert=$(CSSTATS_ASSERT) werror=$(CSSTATS_WERROR)
ifneq ($(BUILD_VARIANT),$(shell cat build-variant.stamp 2>/dev/null))
$(shell echo '$(BUILD_VARIANT)' > build-variant.stamp)
endif
$(OBJS): build-variant.stamp
ifeq ($(with_llvm),yes)
$(OBJS:.o=.bc): build-variant.stamp
endif

# A part added or removed changes no part's time stamp: the list of parts is
# recorded too, so the generated script follows it either way.
INSTALL_PARTS_LIST := $(notdir $(INSTALL_PARTS))
ifneq ($(INSTALL_PARTS_LIST),$(shell cat install-parts.stamp 2>/dev/null))
$(shell echo '$(INSTALL_PARTS_LIST)' > install-parts.stamp)
endif

$(DATA_built): $(INSTALL_PARTS) install-parts.stamp
	cat $(INSTALL_PARTS) > $@

.PHONY: demo test bench unit
demo:
	bash $(SRC)/test/demo.sh
test:
	bash $(SRC)/test/test.sh
bench:
	bash $(SRC)/test/bench.sh
unit:
	$(MAKE) -f $(SRC)/test/unit/Makefile
