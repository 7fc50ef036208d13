/*
 * bindexec - run one SQL statement with server-side bind parameters
 * (libpq PQexecParams, the extended query protocol), the way application code
 * should pass an export password: the statement text the server sees, logs
 * and shows in pg_stat_activity holds only $1, $2, ...
 *
 *     bindexec 'SELECT csstats.export_chats(password => $1, ...)' secret ...
 *
 * Connection from the PG* environment.  Prints the first column of the first
 * row (bytea as its length) or the error's SQLSTATE and message; exit status 0
 * on success, 1 on an SQL error, 2 on a connection failure.
 */
#include <stdio.h>
#include <stdlib.h>

#include <libpq-fe.h>

int
main(int argc, char **argv)
{
	PGconn	   *conn;
	PGresult   *res;
	int			rc = 0;

	if (argc < 2)
	{
		fprintf(stderr, "usage: bindexec SQL [param ...]\n");
		return 2;
	}
	conn = PQconnectdb("");
	if (PQstatus(conn) != CONNECTION_OK)
	{
		fprintf(stderr, "bindexec: %s", PQerrorMessage(conn));
		PQfinish(conn);
		return 2;
	}
	/* binary results, so a bytea comes back as its bytes */
	res = PQexecParams(conn, argv[1], argc - 2, NULL,
					   (const char *const *) (argv + 2), NULL, NULL, 1);
	if (PQresultStatus(res) == PGRES_TUPLES_OK)
	{
		if (PQntuples(res) > 0 && PQnfields(res) > 0)
			printf("%d bytes\n", PQgetlength(res, 0, 0));
	}
	else if (PQresultStatus(res) != PGRES_COMMAND_OK)
	{
		printf("%s: %s", PQresultErrorField(res, PG_DIAG_SQLSTATE),
			   PQresultErrorMessage(res));
		rc = 1;
	}
	PQclear(res);
	PQfinish(conn);
	return rc;
}
