/*-------------------------------------------------------------------------
 *
 * metrics_serial.c
 *	  The serialize and deserialize functions of the chat and case metric
 *	  aggregates: a partial state as bytea, passed from a parallel worker
 *	  to the leader, and back.
 *
 *	  The bytes come from another process, so deserialize trusts nothing:
 *	  every length is checked against the data before it sizes an
 *	  allocation, and the packed records themselves are checked when the
 *	  final function decodes them (DecodeState, metrics_state.c).  Errors
 *	  are ERRCODE_DATA_EXCEPTION.  STATE_VERSION changes with the layout.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

#include "metrics_state.h"

#include "timeline.h"
#include "tlpack.h"

#define STATE_MAGIC 0x4C544343	/* "CCTL" little-endian */
#define STATE_VERSION 2

#define SF_CASES	0x01
#define SF_CHAT_ROW 0x02
#define SF_CALL		0x04
#define SF_INBOUND	0x08

static void
PutBytes(StringInfo buf, const void *p, size_t len)
{
	appendBinaryStringInfoNT(buf, p, (int) len);
}

#define PUT(buf, x) PutBytes((buf), &(x), sizeof(x))

static void
PutStr(StringInfo buf, const char *s)
{
	int32		len = s ? (int32) strlen(s) : -1;

	PUT(buf, len);
	if (s)
		PutBytes(buf, s, len);
}

static void
PutVarlena(StringInfo buf, Datum d)
{
	int32		len = d ? (int32) VARSIZE(DatumGetPointer(d)) : -1;

	PUT(buf, len);
	if (d)
		PutBytes(buf, DatumGetPointer(d), len);
}

/*
 * csstats_metrics_serial
 *		Serial function: a partial state as bytea, to pass from a parallel
 *		worker to the leader.
 */
PG_FUNCTION_INFO_V1(csstats_metrics_serial);
Datum
csstats_metrics_serial(PG_FUNCTION_ARGS)
{
	MetricsState *st;
	StringInfoData buf;
	uint32		magic = STATE_MAGIC;
	uint16		version = STATE_VERSION;
	uint16		flags;
	uint64		nitems;
	uint64		text_len;
	uint64		packed_len;
	Size		total;

	if (!AggCheckCallContext(fcinfo, NULL))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("metrics serial function called in non-aggregate context")));
	st = (MetricsState *) PG_GETARG_POINTER(0);
	flags = (st->for_cases ? SF_CASES : 0) | (st->has_chat_row ? SF_CHAT_ROW : 0) |
		(st->is_call ? SF_CALL : 0) | (st->is_inbound ? SF_INBOUND : 0);
	nitems = st->nitems;
	text_len = st->text_len;
	packed_len = st->packed_len;
	total = (Size) VARHDRSZ + 128 + packed_len +
		(st->chat_id ? st->chat_id_len + st->channel_id_len : 0);
	for (const PackChunk *c = st->head; c != NULL; c = c->next)
		total += c->reset ? sizeof(uint64) : 0;
	if (total >= MaxAllocSize)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("timeline of chat \"%s\" is too large for parallel aggregation",
						st->chat_id ? st->chat_id : ""),
				 errhint("Set max_parallel_workers_per_gather = 0.")));

	initStringInfo(&buf);
	enlargeStringInfo(&buf, (int) total);
	appendStringInfoSpaces(&buf, VARHDRSZ);
	PUT(&buf, magic);
	PUT(&buf, version);
	PUT(&buf, flags);
	PUT(&buf, st->as_of);
	PUT(&buf, st->created_at);
	PUT(&buf, st->kinds_seen);
	PutStr(&buf, st->chat_id);
	PutStr(&buf, st->channel_id);
	if (st->for_cases)
	{
		PutStr(&buf, st->current->state);
		PutStr(&buf, st->current->assignee_id);
		PutStr(&buf, st->current->team_id);
		PutStr(&buf, st->current->priority);
		PutVarlena(&buf, st->current->manager_ids);
		PutVarlena(&buf, st->current->tags);
		PutVarlena(&buf, st->current->profile);
	}
	PUT(&buf, nitems);
	PUT(&buf, text_len);
	/* the packed streams, each as (length, bytes) */
	for (const PackChunk *c = st->head; c != NULL; c = MetricsNextStream(c))
	{
		uint64		len = MetricsStreamLen(c);

		if (len == 0)
			continue;
		PUT(&buf, len);
		enlargeStringInfo(&buf, (int) len);
		buf.len += (int) MetricsCopyStream(c, (uint8 *) buf.data + buf.len);
	}
	SET_VARSIZE(buf.data, buf.len);
	PG_RETURN_BYTEA_P((bytea *) buf.data);
}

/* a bounds-checked reader of a serialized state */
typedef struct StateReader
{
	const char *p;
	const char *end;
} StateReader;

static void pg_attribute_noreturn()
BadState(const char *what)
{
	ereport(ERROR,
			(errcode(ERRCODE_DATA_EXCEPTION),
			 errmsg("invalid serialized metrics state"),
			 errdetail("%s", what)));
}

static const char *
Take(StateReader *r, size_t len)
{
	const char *p = r->p;

	if ((size_t) (r->end - r->p) < len)
		BadState("The data ends early.");
	r->p += len;
	return p;
}

#define GET(r, x) memcpy(&(x), Take((r), sizeof(x)), sizeof(x))

static char *
GetStr(StateReader *r)
{
	int32		len;
	const char *p;

	GET(r, len);
	if (len == -1)
		return NULL;
	if (len < 0)
		BadState("A string has a negative length.");
	p = Take(r, len);
	if (memchr(p, '\0', len) != NULL)
		BadState("A string contains a zero byte.");
	return pnstrdup(p, len);
}

static Datum
GetVarlena(StateReader *r)
{
	int32		len;
	const char *p;
	char	   *copy;

	GET(r, len);
	if (len == -1)
		return (Datum) 0;
	if (len < (int32) VARHDRSZ)
		BadState("A value has an invalid length.");
	/* the length is checked against the data before it sizes an allocation */
	p = Take(r, len);
	copy = palloc(len);			/* aligned: the bytes in the buffer may not be */
	memcpy(copy, p, len);
	if (VARATT_IS_EXTENDED(copy) || VARSIZE(copy) != (Size) len)
		BadState("A value's header does not match its length.");
	return PointerGetDatum(copy);
}

/*
 * csstats_metrics_deserial
 *		Deserial function: the state back from csstats_metrics_serial's
 *		bytea, checked (ERRCODE_DATA_EXCEPTION) before it is used.
 */
PG_FUNCTION_INFO_V1(csstats_metrics_deserial);
Datum
csstats_metrics_deserial(PG_FUNCTION_ARGS)
{
	bytea	   *data;
	StateReader r;
	MetricsState *st;
	uint32		magic;
	uint16		version;
	uint16		flags;
	TimestampTz as_of;
	uint64		nitems;
	uint64		text_len;

	if (!AggCheckCallContext(fcinfo, NULL))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("metrics deserial function called in non-aggregate context")));
	data = PG_GETARG_BYTEA_PP(0);
	r.p = VARDATA_ANY(data);
	r.end = r.p + VARSIZE_ANY_EXHDR(data);

	GET(&r, magic);
	GET(&r, version);
	if (magic != STATE_MAGIC)
		BadState("The magic number is wrong.");
	if (version != STATE_VERSION)
		BadState(psprintf("Version %u, expected %u.", version, STATE_VERSION));
	GET(&r, flags);
	if (flags & ~(SF_CASES | SF_CHAT_ROW | SF_CALL | SF_INBOUND))
		BadState("Unknown flags.");
	GET(&r, as_of);
	if (TIMESTAMP_NOT_FINITE(as_of))
		BadState("as_of is not finite.");

	st = MetricsStateCreate(CurrentMemoryContext, (flags & SF_CASES) != 0, as_of);
	st->has_chat_row = (flags & SF_CHAT_ROW) != 0;
	st->is_call = (flags & SF_CALL) != 0;
	st->is_inbound = (flags & SF_INBOUND) != 0;
	GET(&r, st->created_at);
	GET(&r, st->kinds_seen);
	if (st->kinds_seen >> TL_NKINDS)
		BadState("Unknown item kinds.");
	st->chat_id = GetStr(&r);
	st->chat_id_len = st->chat_id ? (int) strlen(st->chat_id) : 0;
	st->channel_id = GetStr(&r);
	st->channel_id_len = st->channel_id ? (int) strlen(st->channel_id) : 0;
	/* the chat is the pair: the combine function compares both */
	if ((st->chat_id == NULL) != (st->channel_id == NULL))
		BadState("A chat id without a channel id, or a channel id without a chat id.");
	if (st->for_cases)
	{
		st->current->state = GetStr(&r);
		st->current->assignee_id = GetStr(&r);
		st->current->team_id = GetStr(&r);
		st->current->priority = GetStr(&r);
		st->current->manager_ids = GetVarlena(&r);
		st->current->tags = GetVarlena(&r);
		st->current->profile = GetVarlena(&r);
	}
	GET(&r, nitems);
	GET(&r, text_len);
	if (nitems > MaxAllocSize / sizeof(tl_item) || text_len >= MaxAllocSize)
		BadState("The item counts are out of range.");
	{
		/*
		 * The packed streams are kept as they are; their records are checked
		 * when the final function decodes them (DecodeState), before anything
		 * reads them.  Here: the framing, and counts the data can hold (a
		 * record takes 2 bytes at least and shares at most TLP_PREFIX_MAX
		 * bytes of text), so no huge allocation follows from a bad header.
		 */
		uint64		total = (uint64) (r.end - r.p);

		if (nitems > total / 2 || text_len > total + nitems * TLP_PREFIX_MAX)
			BadState("The item counts do not fit the data.");
		while (r.p < r.end)
		{
			uint64		len;
			const uint8 *data;
			PackChunk  *c;

			GET(&r, len);
			if (len == 0 || len > (uint64) (r.end - r.p))
				BadState("A stream's length does not match the data.");
			data = (const uint8 *) Take(&r, len);
			c = MetricsAppendStream(st, len);
			memcpy(c->data, data, len);
		}
		if ((nitems == 0) != (st->packed_len == 0))
			BadState("Items are counted but there is no item data, or the reverse.");
		st->nitems = nitems;
		st->text_len = text_len;
	}
	if (st->nitems > 0 && st->chat_id == NULL)
		BadState("Items without a chat.");
	PG_RETURN_POINTER(st);
}

