/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <stdlib.h>

#include "adapters/ms-http-greeter.h"
#include "common/ms-log.h"
#include "common/ms-soup-runtime-server.h"
#include "core/services/ms-greeting-service.h"
#include "handlers/ms-greeting-handler.h"

#define DEFAULT_HELLO "unix:/run/microsoup/hello.sock"
#define DEFAULT_WORLD "unix:/run/microsoup/world.sock"

static MsGreeter *
far_greeter_new(const char *name,
		const char *upstream,
		gboolean accepts_name,
		guint timeout_ms,
		GError **error)
{
	g_autoptr(MsHttpGreeter) greeter = ms_http_greeter_new(name, upstream, accepts_name, error);

	if (greeter == NULL) {
		g_prefix_error(error, "--%s: ", name);
		return NULL;
	}
	ms_http_greeter_set_timeout(greeter, timeout_ms);
	return MS_GREETER(g_steal_pointer(&greeter));
}

int
main(int argc, char **argv)
{
	g_autoptr(MsRuntime) runtime = ms_runtime_new("greeting");
	g_autoptr(MsGreeter) hello = NULL;
	g_autoptr(MsGreeter) world = NULL;
	g_autoptr(MsGreetingService) service = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree char *hello_upstream = NULL;
	g_autofree char *world_upstream = NULL;
	int part_timeout_ms = MS_GREETING_SERVICE_DEFAULT_PART_TIMEOUT_MS;
	const GOptionEntry entries[] = {
		{ "hello",
		  0,
		  0,
		  G_OPTION_ARG_STRING,
		  &hello_upstream,
		  "Where the hello service listens (default " DEFAULT_HELLO ")",
		  "unix:PATH|http://HOST:PORT" },
		{ "world",
		  0,
		  0,
		  G_OPTION_ARG_STRING,
		  &world_upstream,
		  "Where the world service listens (default " DEFAULT_WORLD ")",
		  "unix:PATH|http://HOST:PORT" },
		{ "part-timeout-ms",
		  0,
		  0,
		  G_OPTION_ARG_INT,
		  &part_timeout_ms,
		  "How long each part may take (default 2000, 0 = no limit)",
		  "MS" },
		{ NULL }
	};

	if (!ms_runtime_parse_args(runtime,
				   &argc,
				   &argv,
				   "Answers GET /greeting[?name=N] from hello and world, asked at "
				   "once.",
				   entries,
				   &error)) {
		g_printerr("%s: %s\n", g_get_prgname(), error->message);
		return EXIT_FAILURE;
	}
	if (part_timeout_ms < 0) {
		g_printerr("%s: --part-timeout-ms must be 0 or more\n", g_get_prgname());
		return EXIT_FAILURE;
	}
	hello = far_greeter_new("hello",
				hello_upstream != NULL ? hello_upstream : DEFAULT_HELLO,
				TRUE,
				(guint)part_timeout_ms,
				&error);
	if (hello != NULL)
		world = far_greeter_new("world",
					world_upstream != NULL ? world_upstream : DEFAULT_WORLD,
					FALSE,
					(guint)part_timeout_ms,
					&error);
	if (world == NULL) {
		g_printerr("%s: %s\n", g_get_prgname(), error->message);
		return EXIT_FAILURE;
	}
	service = ms_greeting_service_new(hello, world);
	ms_greeting_service_set_part_timeout(service, (guint)part_timeout_ms);
	ms_greeting_handler_register(ms_runtime_serve_with_soup(runtime), service);
	if (!ms_runtime_run(runtime, &error)) {
		ms_log_fields(G_LOG_LEVEL_WARNING, NULL, 0, "cannot serve: %s", error->message);
		return EXIT_FAILURE;
	}
	return EXIT_SUCCESS;
}
