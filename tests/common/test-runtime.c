/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <glib/gstdio.h>
#include <signal.h>
#include <unistd.h>

#include "common/ms-runtime.h"
#include "ms-test-utils.h"

/*
 * MsRuntime with a fake server: the idle exit follows the server's count of
 * connections, SIGHUP reloads, SIGTERM stops accepting and waits for the work
 * the server says is left. Real --listen sockets, no HTTP.
 */

typedef struct {
	MsRuntimeServer iface;
	guint n_connections;
	guint work_left;
	guint n_sockets;
	guint n_stops;
	gint64 stopped_at;
	gboolean freed;
} FakeServer;

static gboolean
fake_start(MsRuntimeServer *server, GPtrArray *sockets, GError **error)
{
	FakeServer *fake = (FakeServer *)server;

	fake->n_sockets = sockets->len;
	return TRUE;
}

static void
fake_stop(MsRuntimeServer *server)
{
	FakeServer *fake = (FakeServer *)server;

	fake->n_stops++;
	fake->stopped_at = g_get_monotonic_time();
}

static guint
fake_get_n_connections(MsRuntimeServer *server)
{
	return ((FakeServer *)server)->n_connections;
}

static guint
fake_get_work_left(MsRuntimeServer *server)
{
	return ((FakeServer *)server)->work_left;
}

/* the test reads it after the runtime is gone */
static void
fake_free(MsRuntimeServer *server)
{
	((FakeServer *)server)->freed = TRUE;
}

static void
fake_init(FakeServer *fake)
{
	*fake = (FakeServer){ 0 };
	fake->iface.start = fake_start;
	fake->iface.stop = fake_stop;
	fake->iface.get_n_connections = fake_get_n_connections;
	fake->iface.get_work_left = fake_get_work_left;
	fake->iface.free = fake_free;
}

typedef struct {
	char *dir;
	char *socket_path;
	MsRuntime *runtime;
	FakeServer fake;
	gint64 started;
	gint64 quiet_at;
} Fixture;

static void
fixture_set_up(Fixture *fx, gconstpointer data)
{
	const char *idle_timeout = data;
	g_autofree char *listen = NULL;
	g_autofree char *idle = g_strconcat("--idle-timeout=", idle_timeout, NULL);
	g_autoptr(GError) error = NULL;
	char **argv;
	int argc = 3;

	fx->dir = ms_test_dir_new();
	fx->socket_path = g_build_filename(fx->dir, "runtime.sock", NULL);
	listen = g_strconcat("--listen=unix:", fx->socket_path, NULL);
	argv = (char *[]){ "test-runtime", listen, idle, NULL };
	fx->runtime = ms_runtime_new("test");
	g_assert_true(ms_runtime_parse_args(fx->runtime, &argc, &argv, "", NULL, &error));
	g_assert_no_error(error);
	fake_init(&fx->fake);
	ms_runtime_set_server(fx->runtime, &fx->fake.iface);
	fx->started = g_get_monotonic_time();
}

static void
fixture_tear_down(Fixture *fx, gconstpointer data)
{
	g_clear_object(&fx->runtime);
	g_assert_true(fx->fake.freed);
	g_unlink(fx->socket_path);
	g_free(fx->socket_path);
	ms_test_dir_remove(fx->dir);
	g_free(fx->dir);
}

static void
run(Fixture *fx)
{
	g_autoptr(GError) error = NULL;

	g_assert_true(ms_runtime_run(fx->runtime, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(fx->fake.n_sockets, ==, 1);
	g_assert_cmpuint(fx->fake.n_stops, ==, 1);
}

#define BUSY_MS 2500

/* the last connection closes with nothing left to answer on it */
static gboolean
go_quiet(gpointer user_data)
{
	Fixture *fx = user_data;

	fx->fake.n_connections = 0;
	fx->fake.work_left = 0;
	fx->quiet_at = g_get_monotonic_time();
	return G_SOURCE_REMOVE;
}

/* an open connection keeps the binary, twice the timeout; none for the timeout ends it */
static void
test_idle_exit(Fixture *fx, gconstpointer data)
{
	fx->fake.n_connections = 1;
	g_timeout_add(BUSY_MS, go_quiet, fx);
	run(fx);
	g_assert_cmpint(fx->quiet_at, >, 0);
	g_assert_cmpint(fx->fake.stopped_at - fx->quiet_at, >=, G_USEC_PER_SEC);
	/* one tick late at most */
	g_assert_cmpint(fx->fake.stopped_at - fx->quiet_at, <, 2500 * G_TIME_SPAN_MILLISECOND);
}

static gboolean
send_signal(gpointer user_data)
{
	kill(getpid(), GPOINTER_TO_INT(user_data));
	return G_SOURCE_REMOVE;
}

static guint n_reloads;

static char *
count_reload(gpointer user_data)
{
	n_reloads++;
	return g_strdup("serving");
}

/* SIGHUP runs the binary's reload, and the binary goes on serving */
static void
test_sighup_reloads(Fixture *fx, gconstpointer data)
{
	n_reloads = 0;
	ms_runtime_set_reload_func(fx->runtime, count_reload, NULL);
	g_timeout_add(100, send_signal, GINT_TO_POINTER(SIGHUP));
	g_timeout_add(300, send_signal, GINT_TO_POINTER(SIGHUP));
	g_timeout_add(500, send_signal, GINT_TO_POINTER(SIGTERM));
	run(fx);
	g_assert_cmpuint(n_reloads, ==, 2);
	/* still serving after them: only SIGTERM stopped it */
	g_assert_cmpint(fx->fake.stopped_at - fx->started, >=, 500 * G_TIME_SPAN_MILLISECOND);
}

/* SIGTERM stops accepting at once and exits once the last request is answered */
static void
test_sigterm_drains(Fixture *fx, gconstpointer data)
{
	fx->fake.n_connections = 1;
	fx->fake.work_left = 1;
	g_timeout_add(100, send_signal, GINT_TO_POINTER(SIGTERM));
	g_timeout_add(800, go_quiet, fx);
	run(fx);
	g_assert_cmpint(fx->fake.stopped_at - fx->started, <, 800 * G_TIME_SPAN_MILLISECOND);
	/* not ended while work was left, and soon after */
	g_assert_cmpint(fx->quiet_at, >, 0);
	g_assert_cmpint(g_get_monotonic_time() - fx->quiet_at, <, G_USEC_PER_SEC);
}

int
main(int argc, char **argv)
{
	ms_test_init(&argc, &argv);
	g_test_add("/runtime/idle-exit",
		   Fixture,
		   "1",
		   fixture_set_up,
		   test_idle_exit,
		   fixture_tear_down);
	g_test_add("/runtime/sighup-reloads",
		   Fixture,
		   "0",
		   fixture_set_up,
		   test_sighup_reloads,
		   fixture_tear_down);
	g_test_add("/runtime/sigterm-drains",
		   Fixture,
		   "0",
		   fixture_set_up,
		   test_sigterm_drains,
		   fixture_tear_down);
	return g_test_run();
}
