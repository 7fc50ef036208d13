/*-------------------------------------------------------------------------
 *
 * pause.c
 *	  Crash-test pause points of the test build (see pause.h).  Only
 *	  compiled into the assert build: a user build has neither the setting
 *	  nor any waiting code.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "pause.h"

#ifdef CSSTATS_PAUSE_POINTS

#include "miscadmin.h"
#include "pgstat.h"
#include "storage/latch.h"
#include "utils/guc.h"
#include "utils/wait_event.h"

char	   *csstats_test_pause_at = NULL;

void
PauseInit(void)
{
	DefineCustomStringVariable("csstats.test_pause_at",
							   "Test build only: the export step at which to stop and wait to be killed.",
							   NULL,
							   &csstats_test_pause_at,
							   "",
							   PGC_SUSET, GUC_NOT_IN_SAMPLE,
							   NULL, NULL, NULL);
}

/*
 * PausePoint
 *		When armed names this point, say so in the log and wait (at most 5
 *		minutes, interruptible) for the kill the test is about to send.
 */
void
PausePoint(const char *name, const char *armed)
{
	int			i;

	if (armed == NULL || strcmp(armed, name) != 0)
		return;
	elog(LOG, "csstats pause point \"%s\" reached (pid %d)", name, MyProcPid);
	for (i = 0; i < 3000; i++)
	{
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 100L, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
		CHECK_FOR_INTERRUPTS();
	}
}

#endif							/* CSSTATS_PAUSE_POINTS */
