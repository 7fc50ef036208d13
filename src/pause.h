/*-------------------------------------------------------------------------
 *
 * pause.h
 *	  Crash-test pause points.  In the test build (CSSTATS_PAUSE_POINTS, set
 *	  by CSSTATS_ASSERT=1) an export stops at the point named by the
 *	  superuser setting csstats.test_pause_at and waits there (wait event
 *	  "Extension") until it is killed, so a test can kill -9 a backend or
 *	  the audit worker at an exact step.  In user builds the calls compile
 *	  to nothing and the setting does not exist.
 *
 *-------------------------------------------------------------------------
 */
#ifndef CSSTATS_PAUSE_H
#define CSSTATS_PAUSE_H

#ifdef CSSTATS_PAUSE_POINTS
extern char *csstats_test_pause_at;
extern void PauseInit(void);
extern void PausePoint(const char *name, const char *armed);
#define PAUSE_POINT(name) PausePoint((name), csstats_test_pause_at)
#else
#define PauseInit() ((void) 0)
#define PausePoint(name, armed) ((void) 0)
#define PAUSE_POINT(name) ((void) 0)
#endif

#endif							/* CSSTATS_PAUSE_H */
