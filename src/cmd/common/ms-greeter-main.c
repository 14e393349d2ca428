/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "ms-greeter-main.h"

#include <stdlib.h>

#include "common/ms-log.h"
#include "common/ms-soup-runtime-server.h"
#include "handlers/ms-greeter-handler.h"

/**
 * ms_greeter_main:
 * @greeter: (transfer full): the service to serve
 *
 * The whole life of a greeter binary: options, the handler, the runtime.
 *
 * Returns: the process exit status
 */
int
ms_greeter_main(int argc, char **argv, MsGreeter *greeter, const char *summary)
{
	g_autoptr(MsGreeter) owned = greeter;
	g_autoptr(MsRuntime) runtime = ms_runtime_new(ms_greeter_get_name(greeter));
	g_autoptr(GError) error = NULL;

	if (!ms_runtime_parse_args(runtime, &argc, &argv, summary, NULL, &error)) {
		g_printerr("%s: %s\n", g_get_prgname(), error->message);
		return EXIT_FAILURE;
	}
	ms_greeter_handler_register(ms_runtime_serve_with_soup(runtime), owned);
	if (!ms_runtime_run(runtime, &error)) {
		ms_log_fields(G_LOG_LEVEL_WARNING, NULL, 0, "cannot serve: %s", error->message);
		return EXIT_FAILURE;
	}
	return EXIT_SUCCESS;
}
