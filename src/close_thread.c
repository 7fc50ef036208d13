/*-------------------------------------------------------------------------
 *
 * close_thread.c
 *	  The workbook close, run in a helper thread so that a cancel is
 *	  honoured at once.
 *
 *	  cs_xlsx_close packs the worksheets into the .xlsx zip, one
 *	  uninterruptible libxlsxwriter call that takes seconds for a large
 *	  workbook (1.6 s for 10,000 chats with their messages).  It runs in a
 *	  helper thread with every signal blocked, while the backend waits on
 *	  its latch and keeps answering interrupts.  Without a thread
 *	  (calloc or pthread_create failing) the close runs inline.
 *
 *	  A CloseJob is malloc'd and shared by the backend and the thread; its
 *	  state (atomic) decides who cleans up:
 *
 *	    RUNNING    the thread is closing the workbook; the backend waits.
 *	    DONE       the thread finished (RUNNING -> DONE, by the thread); the
 *	               backend joins it, reports its status and frees the
 *	               workbook and the job.
 *	    ABANDONED  the export was cancelled or failed while RUNNING
 *	               (RUNNING -> ABANDONED, by the backend's reset callback,
 *	               or at backend exit): the workbook and the private
 *	               directory now belong to the thread, and the backend
 *	               keeps the job on its list of abandoned closes.
 *	    CLEANED    an abandoned thread freed the workbook and removed the
 *	               directory (ABANDONED -> CLEANED, by the thread): the
 *	               backend joins it and frees the job at its next export,
 *	               or at exit, which waits for every abandoned close so
 *	               their directories are removed even when the client
 *	               disconnects right after the cancel.
 *
 *	  Only one compare-and-swap out of RUNNING succeeds, so exactly one side
 *	  cleans up.  The thread runs pure C only: no palloc, no elog/ereport,
 *	  nothing with static state such as PostgreSQL's strerror or %m.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <pthread.h>
#include <signal.h>

#include "miscadmin.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "utils/wait_event.h"

#include "close_thread.h"
#include "export_tmp.h"

#define CLOSE_RUNNING	0
#define CLOSE_DONE		1
#define CLOSE_ABANDONED 2
#define CLOSE_CLEANED	3		/* abandoned, then cleaned up by the thread */

struct CloseJob
{
	cs_xlsx    *x;
	char		tmpdir[MAXPGPATH];
	int			state;			/* atomic: CLOSE_* */
	cs_status	rc;
	cs_err		err;
	pthread_t	thread;
};

static void *
CloseThreadMain(void *arg)
{
	CloseJob   *j = (CloseJob *) arg;
	int			expected = CLOSE_RUNNING;

	/*
	 * Pure C only in this thread: no palloc, no elog/ereport, and nothing
	 * with static state such as PostgreSQL's strerror (pg_strerror) or %m.
	 * cs_xlsx_close formats errno with strerror_r into j->err, reported by
	 * the backend after the join; ExportRemoveFlatDir(dir, false) does not
	 * log (its snprintf is src/port's, reentrant).
	 */
	j->rc = cs_xlsx_close(j->x, &j->err);
	if (!__atomic_compare_exchange_n(&j->state, &expected, CLOSE_DONE, false,
									 __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
	{
		/* the export was cancelled meanwhile: clean up alone */
		cs_xlsx_free(j->x);
		j->x = NULL;
		ExportRemoveFlatDir(j->tmpdir, false);
		__atomic_store_n(&j->state, CLOSE_CLEANED, __ATOMIC_RELEASE);
	}
	return NULL;
}

/*
 * Abandoned closes are joined later: when they are done (at the next
 * export), or at backend exit.
 */
#define MAX_ABANDONED 16
static CloseJob *abandoned[MAX_ABANDONED];
static int	n_abandoned = 0;
static bool abandoned_hook = false;

static void
ReapAbandoned(bool wait)
{
	int			i = 0;

	while (i < n_abandoned)
	{
		CloseJob   *j = abandoned[i];

		if (wait || __atomic_load_n(&j->state, __ATOMIC_ACQUIRE) == CLOSE_CLEANED)
		{
			pthread_join(j->thread, NULL);
			free(j);
			abandoned[i] = abandoned[--n_abandoned];
			continue;
		}
		i++;
	}
}

/* the close this backend is waiting for, if any */
static CloseJob *running_job = NULL;

static void
ReapAbandonedAtExit(int code, Datum arg)
{
	/* exiting (pg_terminate_backend) while a close runs: let it clean up */
	if (running_job != NULL)
	{
		int			expected = CLOSE_RUNNING;
		CloseJob   *j = running_job;

		running_job = NULL;
		if (__atomic_compare_exchange_n(&j->state, &expected, CLOSE_ABANDONED, false,
										__ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
			ExportTempDirDisown(j->tmpdir);
		pthread_join(j->thread, NULL);
	}
	ReapAbandoned(true);
}

static void
RegisterCloseExitHook(void)
{
	if (!abandoned_hook)
	{
		on_proc_exit(ReapAbandonedAtExit, (Datum) 0);
		abandoned_hook = true;
	}
}

static void
KeepAbandoned(CloseJob *j)
{
	running_job = NULL;
	ReapAbandoned(false);
	if (n_abandoned < MAX_ABANDONED)
		abandoned[n_abandoned++] = j;
	else
		pthread_detach(j->thread);	/* can't happen in practice; leaks j */
}

/*
 * CloseWorkbookInThread
 *		See close_thread.h.
 */
cs_status
CloseWorkbookInThread(cs_xlsx *x, const char *tmpdir, CloseJob **pending, cs_err *err)
{
	CloseJob   *j = calloc(1, sizeof(CloseJob));
	sigset_t	all,
				old;
	int			rc;

	ReapAbandoned(false);
	RegisterCloseExitHook();
	if (j == NULL)
		return cs_xlsx_close(x, err);
	j->x = x;
	strlcpy(j->tmpdir, tmpdir, sizeof(j->tmpdir));
	j->state = CLOSE_RUNNING;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	rc = pthread_create(&j->thread, NULL, CloseThreadMain, j);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0)
	{
		free(j);
		return cs_xlsx_close(x, err);
	}
	*pending = j;
	running_job = j;
	while (__atomic_load_n(&j->state, __ATOMIC_ACQUIRE) == CLOSE_RUNNING)
	{
		CHECK_FOR_INTERRUPTS();
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH, 20,
						 PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
	}
	pthread_join(j->thread, NULL);
	*pending = NULL;
	running_job = NULL;
	*err = j->err;
	rc = j->rc;
	free(j);
	return (cs_status) rc;
}

/*
 * CloseWorkbookAbandon
 *		See close_thread.h.  Runs in a reset callback: must not throw.
 */
bool
CloseWorkbookAbandon(CloseJob **pending)
{
	CloseJob   *j = *pending;
	int			expected = CLOSE_RUNNING;

	if (j == NULL)
		return false;
	*pending = NULL;
	if (__atomic_compare_exchange_n(&j->state, &expected, CLOSE_ABANDONED, false,
									__ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
	{
		KeepAbandoned(j);
		ExportTempDirDisown(j->tmpdir);
		return true;
	}
	/* finished meanwhile: nothing may point to the job once it is freed */
	running_job = NULL;
	pthread_join(j->thread, NULL);
	free(j);
	return false;
}
