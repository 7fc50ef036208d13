/*-------------------------------------------------------------------------
 *
 * csstats.h
 *	  Declarations shared by the PostgreSQL glue files of csstats.
 *
 *-------------------------------------------------------------------------
 */
#ifndef CSSTATS_H
#define CSSTATS_H

extern void _PG_init(void);

#endif							/* CSSTATS_H */
