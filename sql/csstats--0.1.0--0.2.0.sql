/*
 * csstats update script 0.1.0 -> 0.2.0.
 *
 * Carries every change the 0.2.0 install parts (sql/install/NN_*.sql) make
 * relative to the frozen sql/csstats--0.1.0.sql, in the same order, so that an
 * updated database's catalog equals a fresh 0.2.0 install (test/suites/
 * 12_update.sh compares them).  While 0.2.0 is unreleased, every change to the
 * install parts adds its counterpart here; once released, this file is frozen.
 */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION csstats UPDATE TO '0.2.0'" to load this file. \quit
