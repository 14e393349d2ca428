/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <stdlib.h>

#include "adapters/ms-sqlite-history-store.h"
#include "common/ms-log.h"
#include "common/ms-soup-runtime-server.h"
#include "core/services/ms-calculator-service.h"
#include "handlers/ms-calculator-handler.h"

/* --database, else the first directory of $STATE_DIRECTORY (StateDirectory=microsoup) */
static char *
database_path(const char *option, GError **error)
{
	const char *state = g_getenv("STATE_DIRECTORY");
	g_auto(GStrv) dirs = NULL;

	if (option != NULL)
		return g_strdup(option);
	if (state == NULL || *state == '\0') {
		g_set_error_literal(error,
				    G_OPTION_ERROR,
				    G_OPTION_ERROR_BAD_VALUE,
				    "no database: pass --database=PATH or run with "
				    "StateDirectory= (STATE_DIRECTORY is not set)");
		return NULL;
	}
	dirs = g_strsplit(state, ":", 2);
	return g_build_filename(dirs[0], "calculator.db", NULL);
}

int
main(int argc, char **argv)
{
	g_autoptr(MsRuntime) runtime = ms_runtime_new("calculator");
	g_autoptr(MsHistoryStore) store = NULL;
	g_autoptr(MsCalculatorService) service = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree char *database = NULL;
	g_autofree char *path = NULL;
	const GOptionEntry entries[] = {
		{ "database",
		  0,
		  0,
		  G_OPTION_ARG_FILENAME,
		  &database,
		  "The history database (default: $STATE_DIRECTORY/calculator.db)",
		  "PATH" },
		{ NULL },
	};

	if (!ms_runtime_parse_args(runtime,
				   &argc,
				   &argv,
				   "Answers POST /calc/{add,sub,mul,div,eval} and keeps each "
				   "user's history at /calc/history.",
				   entries,
				   &error) ||
	    (path = database_path(database, &error)) == NULL) {
		g_printerr("%s: %s\n", g_get_prgname(), error->message);
		return EXIT_FAILURE;
	}
	store = ms_sqlite_history_store_new(path, MS_SQLITE_HISTORY_BUSY_TIMEOUT_MS, &error);
	if (store == NULL) {
		ms_log_fields(G_LOG_LEVEL_WARNING,
			      NULL,
			      0,
			      "cannot open the history: %s",
			      error->message);
		return EXIT_FAILURE;
	}
	service = ms_calculator_service_new(store);
	ms_calculator_handler_register(ms_runtime_serve_with_soup(runtime), service);
	if (!ms_runtime_run(runtime, &error)) {
		ms_log_fields(G_LOG_LEVEL_WARNING, NULL, 0, "cannot serve: %s", error->message);
		return EXIT_FAILURE;
	}
	return EXIT_SUCCESS;
}
