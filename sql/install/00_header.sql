/* csstats install script, assembled from sql/install/NN_*.sql at build time */

-- complain if script is sourced in psql, rather than via CREATE EXTENSION
\echo Use "CREATE EXTENSION csstats" to load this file. \quit
