#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "common/ms-log.h"
#include "common/ms-runtime.h"
#include "gateway/ms-gateway.h"

typedef struct {
	MsGateway *gateway;
	char *config_path;
} Reload;

static gboolean
reload_config(gpointer user_data, GError **error)
{
	Reload *reload = user_data;

	return ms_gateway_reload(reload->gateway, reload->config_path, error);
}

int
main(int argc, char **argv)
{
	g_autoptr(MsRuntime) runtime = ms_runtime_new("gateway");
	g_autoptr(MsGatewayConfig) config = NULL;
	g_autoptr(MsGateway) gateway = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree char *config_path = NULL;
	gboolean check_config = FALSE;
	Reload reload = { 0 };
	const GOptionEntry entries[] = {
		{ "config",
		  0,
		  0,
		  G_OPTION_ARG_FILENAME,
		  &config_path,
		  "Read routes from PATH (default " SYSCONFDIR "/gateway.conf)",
		  "PATH" },
		{ "check-config",
		  0,
		  0,
		  G_OPTION_ARG_NONE,
		  &check_config,
		  "Validate the configuration, then exit 0 (valid) or 1",
		  NULL },
		{ NULL }
	};

	if (!ms_runtime_parse_args(runtime,
				   &argc,
				   &argv,
				   "The microsoup API gateway: routes /api/* to the services.",
				   entries,
				   &error)) {
		g_printerr("%s: %s\n", g_get_prgname(), error->message);
		return EXIT_FAILURE;
	}
	if (config_path == NULL)
		config_path = g_strdup(SYSCONFDIR "/gateway.conf");
	config = ms_gateway_config_load_file(config_path, &error);
	if (check_config) {
		if (config == NULL) {
			g_printerr("%s\n", error->message);
			return EXIT_FAILURE;
		}
		printf("%s: configuration OK, %u route(s)\n",
		       config_path,
		       ms_gateway_config_get_n_routes(config));
		return EXIT_SUCCESS;
	}
	if (config == NULL) {
		ms_log_fields(G_LOG_LEVEL_CRITICAL, NULL, 0, "cannot start: %s", error->message);
		return EXIT_FAILURE;
	}

	gateway = ms_gateway_new(config);
	ms_runtime_set_request_logging(runtime, FALSE);
	ms_gateway_attach(gateway, ms_runtime_get_server(runtime));
	reload.gateway = gateway;
	reload.config_path = config_path;
	ms_runtime_set_reload_func(runtime, reload_config, &reload);
	if (!ms_runtime_run(runtime, &error)) {
		ms_log_fields(G_LOG_LEVEL_CRITICAL, NULL, 0, "cannot serve: %s", error->message);
		return EXIT_FAILURE;
	}
	return EXIT_SUCCESS;
}
