#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "common/ms-listen.h"
#include "common/ms-log.h"
#include "common/ms-runtime.h"
#include "gateway/ms-gateway-server.h"
#include "gateway/ms-gateway.h"

typedef struct {
	MsGateway *gateway;
	char *config_path;
} Reload;

static GPtrArray *
listen_sockets(MsRuntime *runtime, GError **error)
{
	g_autoptr(GPtrArray) sockets = ms_listen_sockets_from_systemd(error);
	const char *const *specs = ms_runtime_get_listen_specs(runtime);

	if (sockets == NULL)
		return NULL;
	for (guint i = 0; sockets->len == 0 && specs[i] != NULL; i++) {
		GSocket *socket = ms_listen_socket_open(specs[i], error);
		if (socket == NULL)
			return NULL;
		g_ptr_array_add(sockets, socket);
	}
	if (sockets->len == 0) {
		g_set_error(error,
			    G_IO_ERROR,
			    G_IO_ERROR_NOT_INITIALIZED,
			    "no socket to listen on: start through systemd socket activation "
			    "or pass --listen=unix:PATH or --listen=tcp:HOST:PORT");
		return NULL;
	}
	return g_steal_pointer(&sockets);
}

/* worker threads, each with its own loop, server and pools */
static int
run_workers(MsRuntime *runtime, MsGateway *gateway, guint n_workers, const char *config_path)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) sockets = listen_sockets(runtime, &error);

	if (sockets == NULL ||
	    !ms_gateway_server_run(gateway,
				   sockets,
				   n_workers,
				   ms_runtime_get_idle_timeout(runtime),
				   config_path,
				   &error)) {
		ms_log_fields(G_LOG_LEVEL_CRITICAL, NULL, 0, "cannot serve: %s", error->message);
		return EXIT_FAILURE;
	}
	return EXIT_SUCCESS;
}

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
	gint workers = -1;
	guint n_workers;
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
		{ "workers",
		  0,
		  0,
		  G_OPTION_ARG_INT,
		  &workers,
		  "Serve with N threads (default: [gateway] workers, 0 = one per CPU)",
		  "N" },
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
	n_workers = workers >= 0 ? (guint)workers : ms_gateway_config_get_globals(config)->workers;
	if (n_workers == 0)
		n_workers = g_get_num_processors();
	if (n_workers > 1)
		return run_workers(runtime, gateway, n_workers, config_path);

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
