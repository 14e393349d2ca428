/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>

#include "ms-test-utils.h"
#include "ms-wire-client.h"

/*
 * The built microsoup-gateway as an operator drives it: its command-line tools
 * (--new-api-key, --hash-password, --check-config, --stage), what it serves
 * from a staged set (--state-dir), --listen without systemd, the exit when
 * idle, and the open-connections gauge in /metrics.
 */

/* a deadline for what the gateway does on its own ticks, never an expected duration */
#define WAIT_MS 20000

static char *
gateway_binary(void)
{
	return ms_test_build_path("src", "cmd", "microsoup-gateway", NULL);
}

/* runs the gateway as a command: its exit status, with stdout and stderr */
static int
run_command(const char *const *args, const char *input, char **out, char **err)
{
	g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new(
		G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE |
		G_SUBPROCESS_FLAGS_STDERR_PIPE);
	g_autoptr(GSubprocess) process = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree char *stdout_text = NULL;
	g_autofree char *stderr_text = NULL;

	g_ptr_array_add(argv, gateway_binary());
	for (guint i = 0; args[i] != NULL; i++)
		g_ptr_array_add(argv, g_strdup(args[i]));
	g_ptr_array_add(argv, NULL);
	g_subprocess_launcher_unsetenv(launcher, "LISTEN_FDS");
	g_subprocess_launcher_unsetenv(launcher, "LISTEN_PID");
	g_subprocess_launcher_unsetenv(launcher, "NOTIFY_SOCKET");
	process = g_subprocess_launcher_spawnv(launcher, (const char *const *)argv->pdata, &error);
	g_assert_no_error(error);
	g_subprocess_communicate_utf8(process, input, NULL, &stdout_text, &stderr_text, &error);
	g_assert_no_error(error);
	g_test_message("%s: exit %d\nstdout: %s\nstderr: %s",
		       args[0],
		       g_subprocess_get_exit_status(process),
		       stdout_text,
		       stderr_text);
	if (out != NULL)
		*out = g_steal_pointer(&stdout_text);
	if (err != NULL)
		*err = g_steal_pointer(&stderr_text);
	g_assert_true(g_subprocess_get_if_exited(process));
	return g_subprocess_get_exit_status(process);
}

static void
write_file(const char *path, const char *contents)
{
	g_autoptr(GError) error = NULL;

	g_file_set_contents(path, contents, -1, &error);
	g_assert_no_error(error);
}

static void
remove_tree(const char *path)
{
	g_autoptr(GDir) dir = g_dir_open(path, 0, NULL);
	const char *name;

	while (dir != NULL && (name = g_dir_read_name(dir)) != NULL) {
		g_autofree char *child = g_build_filename(path, name, NULL);

		if (g_file_test(child, G_FILE_TEST_IS_DIR) &&
		    !g_file_test(child, G_FILE_TEST_IS_SYMLINK))
			remove_tree(child);
		else
			g_unlink(child);
	}
	g_rmdir(path);
}

/* a key made with --new-api-key: the key and the api-keys line it printed */
typedef struct {
	char *key;
	char *line;
} NewKey;

static void
new_key_clear(NewKey *key)
{
	g_free(key->key);
	g_free(key->line);
}

static void
make_api_key(const char *name, const char *role, NewKey *made)
{
	g_autofree char *out = NULL;
	g_auto(GStrv) lines = NULL;

	g_assert_cmpint(run_command((const char *const[]){ "--new-api-key", name, role, NULL },
				    NULL,
				    &out,
				    NULL),
			==,
			0);
	/* a comment, the key, a comment, the line */
	lines = g_strsplit(out, "\n", -1);
	g_assert_cmpuint(g_strv_length(lines), >=, 4);
	g_assert_true(g_str_has_prefix(lines[0], "#"));
	g_assert_true(g_str_has_prefix(lines[2], "#"));
	made->key = g_strdup(lines[1]);
	made->line = g_strdup(lines[3]);
	g_assert_cmpuint(strlen(made->key), >=, 43);
	g_assert_true(g_str_has_prefix(made->line, name));
	/* the key itself is never in the line the file keeps */
	g_assert_null(strstr(made->line, made->key));
}

/* GET @target with @auth (a whole field line, or "") on @conn, kept alive */
static MsWireResponse *
get_on(MsWireConn *conn, const char *target, const char *auth)
{
	g_autofree char *raw =
		g_strdup_printf("GET %s HTTP/1.1\r\nHost: localhost\r\n%s\r\n", target, auth);

	ms_wire_conn_send_str(conn, raw);
	return ms_wire_conn_read_response(conn, FALSE);
}

static MsWireResponse *
get(const char *socket_path, const char *target, const char *auth)
{
	g_autoptr(MsWireConn) conn = ms_wire_conn_new(socket_path);

	return get_on(conn, target, auth);
}

static char *
bearer(const NewKey *key)
{
	return g_strdup_printf("Authorization: Bearer %s\r\n", key->key);
}

static void
assert_log_contains(MsTestProcess *process, const char *text)
{
	g_autofree char *log = ms_test_process_get_log(process);

	if (strstr(log, text) == NULL)
		g_test_message("log:\n%s", log);
	g_assert_nonnull(strstr(log, text));
}

/* ---- tools ---------------------------------------------------------------- */

/*
 * The printed key authenticates once its line is in api-keys, with the role
 * given: an admin key reads /metrics, a user key and no key do not.
 */
static void
test_new_api_key_authenticates(void)
{
	g_autofree char *dir = ms_test_dir_new();
	g_autofree char *conf = g_build_filename(dir, "gateway.conf", NULL);
	g_autofree char *api_keys = g_build_filename(dir, "api-keys", NULL);
	g_autofree char *config_option = g_strconcat("--config=", conf, NULL);
	g_autofree char *credentials = g_strconcat("CREDENTIALS_DIRECTORY=", dir, NULL);
	g_autofree char *keys = NULL;
	g_autofree char *admin_auth = NULL;
	g_autofree char *user_auth = NULL;
	g_autoptr(MsTestProcess) gateway = NULL;
	NewKey admin = { 0 }, user = { 0 };

	make_api_key("root", "admin", &admin);
	make_api_key("alice", "user", &user);
	/* two runs, two keys */
	g_assert_cmpstr(admin.key, !=, user.key);
	keys = g_strdup_printf("%s\n%s\n", admin.line, user.line);
	write_file(api_keys, keys);
	write_file(conf, "[gateway]\nworkers = 1\n");
	gateway = ms_test_process_spawn_full(
		"microsoup-gateway",
		NULL,
		(const char *const[]){ config_option, "--idle-timeout=0", NULL },
		(const char *const[]){ credentials, NULL });
	admin_auth = bearer(&admin);
	user_auth = bearer(&user);
	{
		g_autoptr(MsWireResponse) response =
			get(gateway->socket_path, "/metrics", admin_auth);

		g_assert_cmpuint(response->status, ==, 200);
	}
	{
		g_autoptr(MsWireResponse) response =
			get(gateway->socket_path, "/metrics", user_auth);

		g_assert_cmpuint(response->status, ==, 403);
	}
	{
		g_autoptr(MsWireResponse) response = get(gateway->socket_path, "/metrics", "");

		g_assert_cmpuint(response->status, ==, 401);
	}
	ms_test_process_stop_cleanly(gateway);
	new_key_clear(&admin);
	new_key_clear(&user);
	g_unlink(conf);
	g_unlink(api_keys);
	g_rmdir(dir);
}

static void
test_new_api_key_refuses(void)
{
	g_autofree char *err = NULL;

	/* NAME and ROLE are both needed */
	g_assert_cmpint(run_command((const char *const[]){ "--new-api-key", "bob", NULL },
				    NULL,
				    NULL,
				    &err),
			==,
			1);
	g_assert_nonnull(strstr(err, "usage:"));
	g_clear_pointer(&err, g_free);
	g_assert_cmpint(run_command((const char *const[]){ "--new-api-key", "bob", "root", NULL },
				    NULL,
				    NULL,
				    &err),
			==,
			1);
	g_assert_nonnull(strstr(err, "role must be user or admin"));
}

/* the hash printed is a yescrypt one, for a NAME:ROLE:HASH line */
static void
test_hash_password(void)
{
	g_autofree char *out = NULL;

	g_assert_cmpint(run_command((const char *const[]){ "--hash-password", NULL },
				    "secret\n",
				    &out,
				    NULL),
			==,
			0);
	g_assert_true(g_str_has_prefix(out, "$y$"));
	g_assert_null(strstr(out, "secret"));
}

static void
test_bad_arguments(void)
{
	g_autofree char *dir = ms_test_dir_new();
	g_autofree char *conf = g_build_filename(dir, "gateway.conf", NULL);
	g_autofree char *config_option = g_strconcat("--config=", conf, NULL);
	g_autofree char *err = NULL;

	g_assert_cmpint(
		run_command((const char *const[]){ "--no-such-option", NULL }, NULL, NULL, &err),
		==,
		1);
	g_assert_nonnull(strstr(err, "no-such-option"));
	g_clear_pointer(&err, g_free);
	g_assert_cmpint(
		run_command((const char *const[]){ "--idle-timeout=-1", NULL }, NULL, NULL, &err),
		==,
		1);
	g_assert_nonnull(strstr(err, "--idle-timeout"));
	g_clear_pointer(&err, g_free);

	/* --check-config names the line that is wrong */
	write_file(conf, "[route a]\nprefix = /api/a\n");
	g_assert_cmpint(run_command((const char *const[]){ config_option, "--check-config", NULL },
				    NULL,
				    NULL,
				    &err),
			==,
			1);
	g_assert_nonnull(strstr(err, "gateway.conf:"));
	g_clear_pointer(&err, g_free);
	/* and so does a start with it */
	g_assert_cmpint(run_command((const char *const[]){ config_option, NULL }, NULL, NULL, &err),
			==,
			1);
	g_assert_nonnull(strstr(err, "cannot start"));
	g_clear_pointer(&err, g_free);

	/* a good configuration, but no socket from systemd and no --listen */
	write_file(conf, "[gateway]\nworkers = 1\n");
	g_assert_cmpint(run_command((const char *const[]){ config_option, NULL }, NULL, NULL, &err),
			==,
			1);
	g_assert_nonnull(strstr(err, "no socket to listen on"));
	g_unlink(conf);
	g_rmdir(dir);
}

/* ---- serving --------------------------------------------------------------- */

/* without systemd: --listen=unix:PATH binds the socket itself */
static void
test_listen_unix(void)
{
	g_autoptr(GSubprocessLauncher) launcher =
		g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_STDOUT_SILENCE);
	g_autoptr(MsTestProcess) gateway = g_new0(MsTestProcess, 1);
	g_autofree char *conf = NULL;
	g_autofree char *binary = gateway_binary();
	g_autofree char *config_option = NULL;
	g_autofree char *listen_option = NULL;
	g_autoptr(GError) error = NULL;

	gateway->dir = ms_test_dir_new();
	gateway->socket_path = g_build_filename(gateway->dir, "gateway.sock", NULL);
	gateway->log_path = g_build_filename(gateway->dir, "stderr.log", NULL);
	conf = g_build_filename(gateway->dir, "gateway.conf", NULL);
	write_file(conf, "[gateway]\nworkers = 1\n");
	config_option = g_strconcat("--config=", conf, NULL);
	listen_option = g_strconcat("--listen=unix:", gateway->socket_path, NULL);
	g_subprocess_launcher_unsetenv(launcher, "LISTEN_FDS");
	g_subprocess_launcher_unsetenv(launcher, "LISTEN_PID");
	g_subprocess_launcher_unsetenv(launcher, "NOTIFY_SOCKET");
	g_subprocess_launcher_set_stderr_file_path(launcher, gateway->log_path);
	gateway->process = g_subprocess_launcher_spawn(launcher,
						       &error,
						       binary,
						       config_option,
						       listen_option,
						       "--idle-timeout=0",
						       NULL);
	g_assert_no_error(error);
	/* "ready" is logged once it listens: the socket file comes earlier, at bind() */
	ms_test_process_wait_log_contains(gateway, " ready", WAIT_MS);
	{
		g_autoptr(MsWireResponse) response = get(gateway->socket_path, "/healthz", "");

		g_assert_cmpuint(response->status, ==, 200);
	}
	ms_test_process_stop_cleanly(gateway);
	g_unlink(conf);
}

/*
 * With --idle-timeout, the gateway exits cleanly once no connection has been
 * open for that long; an open connection, even a quiet one, keeps it up.
 */
static void
test_idle_exit(void)
{
	g_autofree char *dir = ms_test_dir_new();
	g_autofree char *conf = g_build_filename(dir, "gateway.conf", NULL);
	g_autofree char *config_option = g_strconcat("--config=", conf, NULL);
	g_autoptr(MsTestProcess) gateway = NULL;

	write_file(conf, "[gateway]\nworkers = 1\n");
	gateway = ms_test_process_spawn(
		"microsoup-gateway",
		(const char *const[]){ config_option, "--idle-timeout=1", NULL });
	{
		g_autoptr(MsWireConn) conn = ms_wire_conn_new(gateway->socket_path);
		g_autoptr(MsWireResponse) first = get_on(conn, "/healthz", "");

		g_assert_cmpuint(first->status, ==, 200);
		/* several idle ticks with the connection open: still serving on it */
		g_usleep(2500 * G_TIME_SPAN_MILLISECOND);
		{
			g_autoptr(MsWireResponse) second = get_on(conn, "/healthz", "");

			g_assert_cmpuint(second->status, ==, 200);
		}
	}
	/* closed: it goes, on its own, with status 0 */
	g_assert_cmpint(ms_test_process_wait(gateway, WAIT_MS), ==, 0);
	assert_log_contains(gateway, "idle for 1 s, exiting");
	g_unlink(conf);
	g_rmdir(dir);
}

static gint64
open_connections(MsWireConn *conn, const char *auth)
{
	g_autoptr(MsWireResponse) response = get_on(conn, "/metrics", auth);
	g_autofree char *text = NULL;
	const char *line;

	g_assert_cmpuint(response->status, ==, 200);
	text = g_strndup(g_bytes_get_data(response->body, NULL), g_bytes_get_size(response->body));
	line = strstr(text, "\nmicrosoup_gateway_open_connections ");
	g_assert_nonnull(line);
	return g_ascii_strtoll(line + strlen("\nmicrosoup_gateway_open_connections "), NULL, 10);
}

/* polls the gauge (it is sampled on the gateway's own ticks) until it says @expected */
static void
wait_open_connections(MsWireConn *conn, const char *auth, gint64 expected)
{
	gint64 deadline = g_get_monotonic_time() + WAIT_MS * G_TIME_SPAN_MILLISECOND;
	gint64 seen;

	while ((seen = open_connections(conn, auth)) != expected &&
	       g_get_monotonic_time() < deadline)
		g_usleep(200 * G_TIME_SPAN_MILLISECOND);
	g_assert_cmpint(seen, ==, expected);
}

/* microsoup_gateway_open_connections counts the clients' connections, open and gone */
static void
test_open_connections_gauge(void)
{
	g_autofree char *dir = ms_test_dir_new();
	g_autofree char *conf = g_build_filename(dir, "gateway.conf", NULL);
	g_autofree char *api_keys = g_build_filename(dir, "api-keys", NULL);
	g_autofree char *config_option = g_strconcat("--config=", conf, NULL);
	g_autofree char *credentials = g_strconcat("CREDENTIALS_DIRECTORY=", dir, NULL);
	g_autofree char *keys = NULL;
	g_autofree char *auth = NULL;
	g_autoptr(MsTestProcess) gateway = NULL;
	g_autoptr(MsWireConn) poll = NULL;
	MsWireConn *idle[3];
	NewKey admin = { 0 };

	make_api_key("root", "admin", &admin);
	keys = g_strconcat(admin.line, "\n", NULL);
	write_file(api_keys, keys);
	auth = bearer(&admin);
	write_file(conf, "[gateway]\nworkers = 2\n");
	gateway = ms_test_process_spawn_full(
		"microsoup-gateway",
		NULL,
		(const char *const[]){ config_option, "--idle-timeout=0", NULL },
		(const char *const[]){ credentials, NULL });
	poll = ms_wire_conn_new(gateway->socket_path);
	wait_open_connections(poll, auth, 1);
	for (guint i = 0; i < G_N_ELEMENTS(idle); i++) {
		g_autoptr(MsWireResponse) response = NULL;

		idle[i] = ms_wire_conn_new(gateway->socket_path);
		/* answered: the connection is accepted, whichever worker took it */
		response = get_on(idle[i], "/healthz", "");
		g_assert_cmpuint(response->status, ==, 200);
	}
	wait_open_connections(poll, auth, 1 + G_N_ELEMENTS(idle));
	for (guint i = 0; i < G_N_ELEMENTS(idle); i++)
		ms_wire_conn_free(idle[i]);
	wait_open_connections(poll, auth, 1);
	g_clear_pointer(&poll, ms_wire_conn_free);
	ms_test_process_stop_cleanly(gateway);
	new_key_clear(&admin);
	g_unlink(conf);
	g_unlink(api_keys);
	g_rmdir(dir);
}

/* ---- a staged configuration set ---------------------------------------------- */

typedef struct {
	char *dir;
	char *state;
	char *conf;
	char *users;
	char *api_keys;
	NewKey admin;
	char *auth;
} Stage;

static void
stage_init(Stage *stage)
{
	g_autofree char *keys = NULL;

	stage->dir = ms_test_dir_new();
	stage->state = g_build_filename(stage->dir, "state", NULL);
	g_assert_cmpint(g_mkdir(stage->state, 0700), ==, 0);
	stage->conf = g_build_filename(stage->dir, "gateway.conf", NULL);
	stage->users = g_build_filename(stage->dir, "users", NULL);
	stage->api_keys = g_build_filename(stage->dir, "api-keys", NULL);
	make_api_key("root", "admin", &stage->admin);
	keys = g_strconcat(stage->admin.line, "\n", NULL);
	write_file(stage->api_keys, keys);
	stage->auth = bearer(&stage->admin);
}

static void
stage_clear(Stage *stage)
{
	remove_tree(stage->dir);
	g_free(stage->dir);
	g_free(stage->state);
	g_free(stage->conf);
	g_free(stage->users);
	g_free(stage->api_keys);
	g_free(stage->auth);
	new_key_clear(&stage->admin);
}

/* `--stage` as systemd's ExecStartPre= and ExecReload= run it; @pid 0 for none */
static int
stage_run(Stage *stage, GPid pid, char **err)
{
	g_autofree char *stage_option = g_strconcat("--stage=", stage->state, NULL);
	g_autofree char *config_option = g_strconcat("--config=", stage->conf, NULL);
	g_autofree char *users_option = g_strconcat("--users=", stage->users, NULL);
	g_autofree char *keys_option = g_strconcat("--api-keys=", stage->api_keys, NULL);
	g_autofree char *pid_option = g_strdup_printf("--notify-pid=%d", (int)pid);

	return run_command((const char *const[]){ stage_option,
						  config_option,
						  users_option,
						  keys_option,
						  pid_option,
						  NULL },
			   NULL,
			   NULL,
			   err);
}

static MsTestProcess *
stage_spawn_gateway(Stage *stage)
{
	g_autofree char *state_option = g_strconcat("--state-dir=", stage->state, NULL);

	return ms_test_process_spawn(
		"microsoup-gateway",
		(const char *const[]){ state_option, "--idle-timeout=0", NULL });
}

static GPid
process_pid(MsTestProcess *process)
{
	/* the shell that set LISTEN_PID exec'd the gateway: one pid */
	return (GPid)g_ascii_strtoll(g_subprocess_get_identifier(process->process), NULL, 10);
}

/*
 * A good set staged, then served with its keys; a bad one refused while the
 * running gateway keeps the last good set; a good one again taken by the
 * running gateway before --stage returns.
 */
static void
test_stage_and_serve(void)
{
	Stage stage = { 0 };
	g_autoptr(MsTestProcess) gateway = NULL;
	g_autofree char *err = NULL;

	stage_init(&stage);
	write_file(stage.conf, "[gateway]\nworkers = 1\n");
	g_assert_cmpint(stage_run(&stage, 0, NULL), ==, 0);
	gateway = stage_spawn_gateway(&stage);
	{
		g_autoptr(MsWireResponse) response =
			get(gateway->socket_path, "/metrics", stage.auth);

		g_assert_cmpuint(response->status, ==, 200);
	}
	{
		g_autoptr(MsWireResponse) response = get(gateway->socket_path, "/readyz", "");

		g_assert_cmpuint(response->status, ==, 200);
	}

	/* a broken configuration: refused, said why, and the gateway is told */
	write_file(stage.conf, "[route a]\nprefix = /api/a\n");
	g_assert_cmpint(stage_run(&stage, process_pid(gateway), &err), ==, 1);
	g_assert_nonnull(strstr(err, "gateway.conf:"));
	{
		g_autoptr(MsWireResponse) response =
			get(gateway->socket_path, "/metrics", stage.auth);

		/* the last good set, keys and all, still serves */
		g_assert_cmpuint(response->status, ==, 200);
	}

	/* fixed: --stage returns once the running gateway runs it */
	write_file(stage.conf, "[gateway]\nworkers = 1\n");
	g_assert_cmpint(stage_run(&stage, process_pid(gateway), NULL), ==, 0);
	{
		g_autoptr(MsWireResponse) response = get(gateway->socket_path, "/readyz", "");

		g_assert_cmpuint(response->status, ==, 200);
	}
	ms_test_process_stop_cleanly(gateway);
	stage_clear(&stage);
}

/* nothing ever staged: the gateway serves no routes and says why, rather than exit */
static void
test_state_dir_never_staged(void)
{
	Stage stage = { 0 };
	g_autoptr(MsTestProcess) gateway = NULL;

	stage_init(&stage);
	gateway = stage_spawn_gateway(&stage);
	{
		g_autoptr(MsWireResponse) response = get(gateway->socket_path, "/healthz", "");

		g_assert_cmpuint(response->status, ==, 200);
	}
	{
		g_autoptr(MsWireResponse) response = get(gateway->socket_path, "/readyz", "");

		g_assert_cmpuint(response->status, ==, 503);
	}
	ms_test_process_stop_cleanly(gateway);
	assert_log_contains(gateway, "serving the last good configuration");
	stage_clear(&stage);
}

/* --stage for a gateway that is not running: the set is staged, the reload fails */
static void
test_stage_gateway_gone(void)
{
	Stage stage = { 0 };
	g_autofree char *err = NULL;
	g_autofree char *staged = NULL;
	g_autofree char *staged_conf = NULL;

	stage_init(&stage);
	write_file(stage.conf, "[gateway]\nworkers = 1\n");
	/* past any pid_max: no such process, ever */
	g_assert_cmpint(stage_run(&stage, G_MAXINT32, &err), ==, 1);
	g_assert_nonnull(strstr(err, "cannot tell the gateway (pid 2147483647): "));
	staged_conf = g_build_filename(stage.state, "current", "gateway.conf", NULL);
	g_assert_true(g_file_get_contents(staged_conf, &staged, NULL, NULL));
	g_assert_cmpstr(staged, ==, "[gateway]\nworkers = 1\n");
	stage_clear(&stage);
}

int
main(int argc, char **argv)
{
	ms_test_init(&argc, &argv);
	g_test_add_func("/gateway/lifecycle/new-api-key-authenticates",
			test_new_api_key_authenticates);
	g_test_add_func("/gateway/lifecycle/new-api-key-refuses", test_new_api_key_refuses);
	g_test_add_func("/gateway/lifecycle/hash-password", test_hash_password);
	g_test_add_func("/gateway/lifecycle/bad-arguments", test_bad_arguments);
	g_test_add_func("/gateway/lifecycle/listen-unix", test_listen_unix);
	g_test_add_func("/gateway/lifecycle/idle-exit", test_idle_exit);
	g_test_add_func("/gateway/lifecycle/open-connections-gauge", test_open_connections_gauge);
	g_test_add_func("/gateway/lifecycle/stage-and-serve", test_stage_and_serve);
	g_test_add_func("/gateway/lifecycle/state-dir-never-staged", test_state_dir_never_staged);
	g_test_add_func("/gateway/lifecycle/stage-gateway-gone", test_stage_gateway_gone);
	return g_test_run();
}
