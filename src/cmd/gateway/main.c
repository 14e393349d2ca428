/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/ms-dirs.h"
#include "common/ms-log.h"
#include "common/ms-runtime.h"
#include "gateway/adapters/config/ms-config-stage.h"
#include "gateway/service/policy/ms-policy-state.h"
#include "gateway/adapters/front/ms-gateway-server.h"
#include "gateway/adapters/config/ms-gateway-tools.h"
#include "gateway/service/ms-gateway.h"

#include <gio/gunixinputstream.h>
#include <gio/gunixoutputstream.h>

/* how long a reload waits for the gateway to run the set it staged */
#define STAGE_WAIT_MS 10000

typedef struct {
	MsGateway *gateway;
	MsRuntimeServer *server;
	const char *config_path;
	const char *state_dir; /* NULL without --state-dir */
} Serving;

/*
 * The runtime's STATUS= line: the metrics' summary, after what is wrong with
 * the configuration if anything is. The runtime's count of the server's
 * connections is also what /metrics says. Ages out idle rate-limit buckets too.
 */
static char *
dup_status(guint n_connections, gpointer user_data)
{
	Serving *serving = user_data;
	MsMetrics *metrics = ms_gateway_get_metrics(serving->gateway);
	g_autofree char *summary = NULL;
	g_autofree char *degraded = ms_gateway_dup_degraded_status(serving->gateway);

	ms_metrics_set_open_connections(metrics, n_connections);
	summary = ms_metrics_summary(metrics);
	ms_policy_state_expire(ms_gateway_get_policy_state(serving->gateway));
	if (degraded != NULL)
		return g_strconcat(degraded, "; ", summary, NULL);
	return g_steal_pointer(&summary);
}

/* SIGHUP: the staged set (or --config) again, and its connection limits */
static char *
reload(gpointer user_data)
{
	Serving *serving = user_data;
	g_autoptr(GError) error = NULL;
	gboolean reloaded = ms_gateway_reload(serving->gateway, serving->config_path, &error);
	char *degraded;

	if (serving->state_dir != NULL)
		ms_config_stage_report(serving->state_dir, serving->gateway, error);
	if (!reloaded) {
		ms_warning("reload refused, keeping the running configuration: %s", error->message);
	} else {
		ms_gateway_server_apply_limits(serving->server);
		ms_message("configuration reloaded");
	}
	/* a set the operator got wrong stays visible in systemctl status until it is fixed */
	degraded = ms_gateway_dup_degraded_status(serving->gateway);
	if (degraded != NULL) {
		ms_warning("%s", degraded);
		return degraded;
	}
	return g_strdup("serving");
}

/* --hash-password and --new-api-key: secrets only through stdin/stdout */
static int
run_tool(gboolean hash_password, int argc, char **argv)
{
	g_autoptr(GInputStream) in = g_unix_input_stream_new(STDIN_FILENO, FALSE);
	g_autoptr(GOutputStream) out = g_unix_output_stream_new(STDOUT_FILENO, FALSE);
	g_autoptr(GError) error = NULL;
	gboolean ok;

	if (hash_password) {
		ok = ms_gateway_tools_hash_password(in, out, &error);
	} else if (argc != 3) {
		g_printerr("usage: %s --new-api-key NAME ROLE\n", g_get_prgname());
		return EXIT_FAILURE;
	} else {
		ok = ms_gateway_tools_new_api_key(argv[1], argv[2], out, &error);
	}
	if (!ok) {
		g_printerr("%s: %s\n", g_get_prgname(), error->message);
		return EXIT_FAILURE;
	}
	return EXIT_SUCCESS;
}

/*
 * --stage: run by systemd as root before every start and on every reload.
 * With --notify-pid (the running gateway), it is told to load the set, and a
 * good set succeeds only once the gateway runs it: `systemctl reload` tells
 * the truth either way.
 */
static int
run_stage(const char *state_dir, const MsConfigStagePaths *paths, gint notify_pid)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *serial = NULL;
	gboolean staged = ms_config_stage(paths, state_dir, &error);

	if (!staged) {
		ms_config_stage_log_refused(error);
		g_printerr("%s\n", error->message);
	}
	if (notify_pid <= 0)
		return staged ? EXIT_SUCCESS : EXIT_FAILURE;
	/* a refused set too: the gateway then reports itself degraded */
	serial = ms_config_stage_get_serial(state_dir);
	if (kill((pid_t)notify_pid, SIGHUP) != 0) {
		g_printerr("cannot tell the gateway (pid %d): %s\n", notify_pid, g_strerror(errno));
		return EXIT_FAILURE;
	}
	if (staged && !ms_config_stage_wait_loaded(state_dir, serial, STAGE_WAIT_MS)) {
		g_printerr("the gateway did not take the new configuration within %u s\n",
			   STAGE_WAIT_MS / 1000);
		return EXIT_FAILURE;
	}
	return staged ? EXIT_SUCCESS : EXIT_FAILURE;
}

/*
 * With --state-dir, the set staged there; when none can be loaded the gateway
 * still serves (no routes: /healthz, and 404 elsewhere) and says why, rather
 * than exit and leave the port to systemd's start limit.
 */
static MsGateway *
gateway_new_from_state(const char *state_dir, const char *config_path)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(MsGatewayConfig) config = ms_gateway_config_load_file(config_path, &error);
	g_autoptr(MsCredentials) credentials = NULL;
	MsGateway *gateway;
	g_autofree char *degraded = NULL;

	if (config != NULL)
		credentials = ms_credentials_new_from_environment(&error);
	if (config == NULL || credentials == NULL) {
		g_clear_pointer(&config, ms_gateway_config_unref);
		config = ms_gateway_config_load_data("", 0, "(none)", NULL);
	}
	gateway = ms_gateway_new(config, credentials);
	ms_config_stage_report(state_dir, gateway, credentials != NULL ? NULL : error);
	degraded = ms_gateway_dup_degraded_status(gateway);
	if (degraded != NULL)
		ms_warning("%s", degraded);
	return gateway;
}

int
main(int argc, char **argv)
{
	g_autoptr(MsRuntime) runtime = ms_runtime_new("gateway");
	g_autoptr(MsGatewayConfig) config = NULL;
	g_autoptr(MsGateway) gateway = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree char *config_path = NULL;
	g_autoptr(MsCredentials) credentials = NULL;
	gboolean check_config = FALSE;
	g_autofree char *state_dir = NULL;
	g_autofree char *stage_dir = NULL;
	g_autofree char *users_path = NULL;
	g_autofree char *api_keys_path = NULL;
	gint notify_pid = 0;
	gboolean hash_password = FALSE;
	gboolean new_api_key = FALSE;
	Serving serving = { 0 };
	gint workers = -1;
	guint n_workers;
	/* the defaults --help shows are the ones used: meson devenv moves them */
	const char *sysconfdir = ms_dirs_get_sysconfdir();
	g_autofree char *default_config = g_build_filename(sysconfdir, "gateway.conf", NULL);
	g_autofree char *default_users = g_build_filename(sysconfdir, "users", NULL);
	g_autofree char *default_api_keys = g_build_filename(sysconfdir, "api-keys", NULL);
	g_autofree char *config_help =
		g_strdup_printf("Read routes from PATH (default %s)", default_config);
	g_autofree char *users_help =
		g_strdup_printf("With --stage: the users file (default %s)", default_users);
	g_autofree char *api_keys_help =
		g_strdup_printf("With --stage: the API keys file (default %s)", default_api_keys);
	g_autofree char *hash_password_help =
		g_strdup_printf("Read a password on stdin, print its yescrypt hash for a "
				"NAME:ROLE:HASH line in %s",
				default_users);
	g_autofree char *new_api_key_help =
		g_strdup_printf("Make a random API key for NAME ROLE: print it once and the "
				"line for %s",
				default_api_keys);
	const GOptionEntry entries[] = {
		{ "config", 0, 0, G_OPTION_ARG_FILENAME, &config_path, config_help, "PATH" },
		{ "check-config",
		  0,
		  0,
		  G_OPTION_ARG_NONE,
		  &check_config,
		  "Validate the configuration, then exit 0 (valid) or 1",
		  NULL },
		{ "state-dir",
		  0,
		  0,
		  G_OPTION_ARG_FILENAME,
		  &state_dir,
		  "Serve the configuration set --stage put in DIR (under systemd)",
		  "DIR" },
		{ "stage",
		  0,
		  0,
		  G_OPTION_ARG_FILENAME,
		  &stage_dir,
		  "Check --config, --users and --api-keys; when all are good, make them the set "
		  "DIR holds, else record why; then exit 0 (staged) or 1",
		  "DIR" },
		{ "users", 0, 0, G_OPTION_ARG_FILENAME, &users_path, users_help, "PATH" },
		{ "api-keys", 0, 0, G_OPTION_ARG_FILENAME, &api_keys_path, api_keys_help, "PATH" },
		{ "notify-pid",
		  0,
		  0,
		  G_OPTION_ARG_INT,
		  &notify_pid,
		  "With --stage: the running gateway, told to load the set (SIGHUP); waits "
		  "until it runs it",
		  "PID" },
		{ "workers",
		  0,
		  0,
		  G_OPTION_ARG_INT,
		  &workers,
		  "Serve with N threads (default: [gateway] workers, 0 = one per CPU)",
		  "N" },
		{ "hash-password",
		  0,
		  0,
		  G_OPTION_ARG_NONE,
		  &hash_password,
		  hash_password_help,
		  NULL },
		{ "new-api-key", 0, 0, G_OPTION_ARG_NONE, &new_api_key, new_api_key_help, NULL },
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
	if (hash_password || new_api_key)
		return run_tool(hash_password, argc, argv);
	if (config_path == NULL)
		config_path = g_strdup(default_config);
	if (stage_dir != NULL) {
		MsConfigStagePaths paths = {
			.config = config_path,
			.users = users_path != NULL ? users_path : default_users,
			.api_keys = api_keys_path != NULL ? api_keys_path : default_api_keys,
		};
		return run_stage(stage_dir, &paths, notify_pid);
	}
	if (state_dir != NULL) {
		g_autofree char *current =
			g_build_filename(state_dir, MS_CONFIG_STAGE_CURRENT, NULL);

		/* users and API keys of the staged set, like systemd's credentials */
		g_setenv("CREDENTIALS_DIRECTORY", current, TRUE);
		g_free(config_path);
		config_path = g_build_filename(current, "gateway.conf", NULL);
		gateway = gateway_new_from_state(state_dir, config_path);
	}
	config = gateway == NULL ? ms_gateway_config_load_file(config_path, &error)
				 : ms_gateway_dup_config(gateway);
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
		ms_log_fields(G_LOG_LEVEL_WARNING, NULL, 0, "cannot start: %s", error->message);
		return EXIT_FAILURE;
	}

	if (gateway == NULL) {
		/* users and API keys come only from a credentials directory */
		credentials = ms_credentials_new_from_environment(&error);
		if (credentials == NULL) {
			ms_log_fields(G_LOG_LEVEL_WARNING,
				      NULL,
				      0,
				      "cannot start: %s",
				      error->message);
			return EXIT_FAILURE;
		}
		/* its policies also re-read the credentials whenever the gateway reloads */
		gateway = ms_gateway_new(config, credentials);
	}
	n_workers = workers >= 0 ? (guint)workers : ms_gateway_config_get_globals(config)->workers;
	if (n_workers == 0)
		n_workers = g_get_num_processors();
	/* the gateway's own front and worker threads, not SoupServer: docs/gateway-front.md */
	serving.gateway = gateway;
	serving.server = ms_gateway_server_new(gateway, n_workers);
	serving.config_path = config_path;
	serving.state_dir = state_dir;
	ms_runtime_set_server(runtime, serving.server);
	ms_runtime_set_status_func(runtime, dup_status, &serving);
	ms_runtime_set_reload_func(runtime, reload, &serving);
	if (!ms_runtime_run(runtime, &error)) {
		ms_log_fields(G_LOG_LEVEL_WARNING, NULL, 0, "cannot serve: %s", error->message);
		return EXIT_FAILURE;
	}
	return EXIT_SUCCESS;
}
