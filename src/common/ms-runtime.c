/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "ms-runtime.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include "ms-i18n.h"
#include "ms-listen.h"
#include "ms-log.h"
#include "ms-log-batch.h"
#include "ms-notify.h"
#include "ms-signals.h"

/*
 * What every microsoup binary does around its HTTP server: take the sockets
 * systemd passed (or bind --listen ones), stop accepting on SIGTERM while
 * in-flight requests finish, reload on SIGHUP, exit when idle, and talk to
 * systemd (READY, STATUS, RELOADING, STOPPING, watchdog). The server itself is
 * the binary's choice, behind MsRuntimeServer.
 */

struct _MsRuntime {
	GObject parent_instance;
	char *identifier;
	MsRuntimeServer *server;
	GPtrArray *sockets; /* what systemd passed or --listen bound: they keep the backlog */
	GMainLoop *loop;
	GStrv listen_specs;
	int idle_timeout;
	MsRuntimeStatusFunc status_func;
	gpointer status_data;
	MsRuntimeReloadFunc reload_func;
	gpointer reload_data;
	guint n_connections; /* the server's count at the last tick */
	gint64 idle_since;   /* when the last tick found no connection, 0 while busy */
	gboolean stopping;
	gint64 stop_time;
	gboolean exit_idle;
};

G_DEFINE_TYPE(MsRuntime, ms_runtime, G_TYPE_OBJECT)

/* how often the server's connections are counted: the idle clock's resolution */
#define MS_RUNTIME_TICK_MS 1000
/* how often systemd gets the binary's STATUS= line */
#define MS_RUNTIME_STATUS_SECONDS 5
/* the longest a stop waits for clients; systemd's TimeoutStopSec= is longer */
#define MS_RUNTIME_DRAIN_SECONDS  10
#define MS_RUNTIME_DRAIN_CHECK_MS 20

static void
ms_runtime_finalize(GObject *object)
{
	MsRuntime *self = MS_RUNTIME(object);

	if (self->server != NULL)
		self->server->free(self->server);
	g_clear_pointer(&self->sockets, g_ptr_array_unref);
	g_clear_pointer(&self->loop, g_main_loop_unref);
	g_strfreev(self->listen_specs);
	g_free(self->identifier);
	G_OBJECT_CLASS(ms_runtime_parent_class)->finalize(object);
}

static void
ms_runtime_class_init(MsRuntimeClass *klass)
{
	G_OBJECT_CLASS(klass)->finalize = ms_runtime_finalize;
}

static void
ms_runtime_init(MsRuntime *self)
{
	self->idle_timeout = MS_RUNTIME_DEFAULT_IDLE_TIMEOUT;
	self->listen_specs = g_new0(char *, 1);
}

/**
 * ms_runtime_new:
 * @name: the component, e.g. "hello"; the binary is microsoup-@name
 */
MsRuntime *
ms_runtime_new(const char *name)
{
	MsRuntime *self = g_object_new(MS_TYPE_RUNTIME, NULL);

	self->identifier = g_strconcat("microsoup-", name, NULL);
	if (g_get_prgname() == NULL)
		g_set_prgname(self->identifier);
	ms_log_init(self->identifier);
	ms_i18n_init();
	/* first: every thread the binary starts from here on inherits the mask */
	ms_signals_block();
	return self;
}

/* microsoup-NAME: the log identifier, and what a server may call itself */
const char *
ms_runtime_get_identifier(MsRuntime *self)
{
	return self->identifier;
}

/**
 * ms_runtime_set_server:
 * @server: (transfer full): what serves the runtime's sockets
 */
void
ms_runtime_set_server(MsRuntime *self, MsRuntimeServer *server)
{
	g_return_if_fail(self->server == NULL);
	self->server = server;
}

/**
 * ms_runtime_set_status_func:
 *
 * Without one, READY=1 says "serving; idle timeout N s" and no STATUS= follows.
 */
void
ms_runtime_set_status_func(MsRuntime *self, MsRuntimeStatusFunc func, gpointer user_data)
{
	self->status_func = func;
	self->status_data = user_data;
}

/**
 * ms_runtime_set_reload_func:
 *
 * Without one, SIGHUP only logs that there is nothing to reload.
 */
void
ms_runtime_set_reload_func(MsRuntime *self, MsRuntimeReloadFunc func, gpointer user_data)
{
	self->reload_func = func;
	self->reload_data = user_data;
}

static void
ms_runtime_add_listen(MsRuntime *self, const char *spec)
{
	guint n = g_strv_length(self->listen_specs);

	self->listen_specs = g_renew(char *, self->listen_specs, n + 2);
	self->listen_specs[n] = g_strdup(spec);
	self->listen_specs[n + 1] = NULL;
}

/**
 * ms_runtime_parse_args:
 * @extra_entries: (nullable): the binary's own options
 *
 * Parses the options every binary shares: --listen, --idle-timeout, --version.
 * --help and --version print and exit 0, as GOption does.
 */
gboolean
ms_runtime_parse_args(MsRuntime *self,
		      int *argc,
		      char ***argv,
		      const char *summary,
		      const GOptionEntry *extra_entries,
		      GError **error)
{
	gboolean version = FALSE;
	g_auto(GStrv) listen = NULL;
	g_autoptr(GOptionContext) context = NULL;
	const GOptionEntry entries[] = {
		{ "listen",
		  0,
		  0,
		  G_OPTION_ARG_STRING_ARRAY,
		  &listen,
		  "Listen on unix:PATH or tcp:HOST:PORT when systemd passed no socket "
		  "(repeatable)",
		  "SPEC" },
		{ "idle-timeout",
		  0,
		  0,
		  G_OPTION_ARG_INT,
		  &self->idle_timeout,
		  "Exit after this many idle seconds (default 30, 0 = never)",
		  "SECONDS" },
		{ "version",
		  0,
		  0,
		  G_OPTION_ARG_NONE,
		  &version,
		  "Print the version and exit",
		  NULL },
		{ NULL }
	};

	context = g_option_context_new(NULL);
	g_option_context_set_summary(context, summary);
	g_option_context_add_main_entries(context, entries, NULL);
	if (extra_entries != NULL)
		g_option_context_add_main_entries(context, extra_entries, NULL);
	if (!g_option_context_parse(context, argc, argv, error))
		return FALSE;
	if (version) {
		printf("%s %s\n", self->identifier, PACKAGE_VERSION);
		exit(EXIT_SUCCESS);
	}
	if (self->idle_timeout < 0) {
		g_set_error(error,
			    G_OPTION_ERROR,
			    G_OPTION_ERROR_BAD_VALUE,
			    "--idle-timeout must be 0 or more seconds");
		return FALSE;
	}
	for (guint i = 0; listen != NULL && listen[i] != NULL; i++)
		ms_runtime_add_listen(self, listen[i]);
	return TRUE;
}

static gboolean
on_drain_timer(gpointer user_data)
{
	MsRuntime *self = user_data;

	if (self->server->get_work_left(self->server) > 0 &&
	    g_get_monotonic_time() - self->stop_time < MS_RUNTIME_DRAIN_SECONDS * G_USEC_PER_SEC)
		return G_SOURCE_CONTINUE;
	g_main_loop_quit(self->loop);
	return G_SOURCE_REMOVE;
}

/* no new connections; the loop ends once nothing is left, or after the drain bound */
static void
stop_and_drain(MsRuntime *self)
{
	self->stopping = TRUE;
	self->stop_time = g_get_monotonic_time();
	ms_notify_stopping();
	self->server->stop(self->server);
	/* no server reports its last connection's end: look until nothing is left */
	g_timeout_add(MS_RUNTIME_DRAIN_CHECK_MS, on_drain_timer, self);
}

/*
 * The one idle clock: the server's connections are counted every tick, and
 * the binary exits once none was open for the whole timeout. The same count
 * is what the status line gets.
 */
static gboolean
on_tick(gpointer user_data)
{
	MsRuntime *self = user_data;
	gint64 now = g_get_monotonic_time();

	self->n_connections = self->server->get_n_connections(self->server);
	if (self->stopping)
		return G_SOURCE_CONTINUE;
	if (self->n_connections > 0) {
		self->idle_since = 0;
		return G_SOURCE_CONTINUE;
	}
	if (self->idle_since == 0)
		self->idle_since = now;
	if (self->idle_timeout == 0 ||
	    now - self->idle_since < (gint64)self->idle_timeout * G_USEC_PER_SEC)
		return G_SOURCE_CONTINUE;
	ms_message("idle for %d s, exiting; systemd starts the service again on demand",
		   self->idle_timeout);
	self->exit_idle = TRUE;
	stop_and_drain(self);
	return G_SOURCE_CONTINUE;
}

/* what READY=1 comes with: the binary's status line, else the runtime's */
static char *
dup_ready_status(MsRuntime *self)
{
	char *status = NULL;

	if (self->status_func != NULL)
		status = self->status_func(self->n_connections, self->status_data);
	if (status == NULL)
		status = g_strdup_printf("serving; idle timeout %d s", self->idle_timeout);
	return status;
}

static gboolean
on_status_timer(gpointer user_data)
{
	MsRuntime *self = user_data;
	g_autofree char *status = self->status_func(self->n_connections, self->status_data);

	if (status != NULL)
		ms_notify_status(status);
	return G_SOURCE_CONTINUE;
}

static void
terminate(MsRuntime *self)
{
	if (self->stopping)
		return;
	ms_message("stopping: no new connections, finishing what is in flight");
	stop_and_drain(self);
}

static void
hang_up(MsRuntime *self)
{
	g_autofree char *status = NULL;

	/*
	 * A binary with nothing to reload must not die of a stray SIGHUP either;
	 * logged so that an operator who expected a reload learns there is none.
	 */
	if (self->reload_func == NULL) {
		ms_message("SIGHUP: nothing to reload, still serving");
		return;
	}
	ms_notify_reloading();
	status = self->reload_func(self->reload_data);
	if (status == NULL)
		status = dup_ready_status(self);
	ms_notify_ready(status);
}

/* SIGHUP reloads; SIGTERM and SIGINT stop */
static void
on_signal(int signal_number, gpointer user_data)
{
	if (signal_number == SIGHUP)
		hang_up(user_data);
	else
		terminate(user_data);
}

static GPtrArray *
listen_sockets(MsRuntime *self, GError **error)
{
	g_autoptr(GPtrArray) sockets = ms_listen_sockets_from_systemd(error);

	if (sockets == NULL)
		return NULL;
	if (sockets->len == 0) {
		for (guint i = 0; self->listen_specs[i] != NULL; i++) {
			GSocket *socket = ms_listen_socket_open(self->listen_specs[i], error);
			if (socket == NULL)
				return NULL;
			g_ptr_array_add(sockets, socket);
		}
	} else if (self->listen_specs[0] != NULL) {
		ms_message("systemd passed %u socket(s); ignoring --listen", sockets->len);
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

/**
 * ms_runtime_run:
 *
 * Serves with the server ms_runtime_set_server() gave until SIGTERM/SIGINT
 * (after in-flight requests finish) or until idle.
 *
 * Returns: %TRUE on a clean exit, %FALSE with @error when serving could not start
 */
gboolean
ms_runtime_run(MsRuntime *self, GError **error)
{
	g_autofree char *status = NULL;
	guint watchdog_id;
	guint tick_id;
	guint status_id = 0;
	guint signal_id;

	g_return_val_if_fail(self->server != NULL, FALSE);
	self->sockets = listen_sockets(self, error);
	if (self->sockets == NULL)
		return FALSE;
	/*
	 * before the server accepts; blocked since ms_runtime_new(), a signal that
	 * came meanwhile waits for this watch rather than killing the binary
	 */
	signal_id = ms_signals_watch(on_signal, self, error);
	if (signal_id == 0)
		return FALSE;
	if (!self->server->start(self->server, self->sockets, error)) {
		g_source_remove(signal_id);
		return FALSE;
	}

	self->loop = g_main_loop_new(NULL, FALSE);
	/* a binary nobody connects to exits after the timeout */
	self->idle_since = g_get_monotonic_time();
	tick_id = g_timeout_add(MS_RUNTIME_TICK_MS, on_tick, self);
	if (self->status_func != NULL)
		status_id = g_timeout_add_seconds(MS_RUNTIME_STATUS_SECONDS, on_status_timer, self);
	watchdog_id = ms_notify_watchdog_start();
	status = dup_ready_status(self);
	ms_notify_ready(status);
	ms_message("%s %s ready", self->identifier, PACKAGE_VERSION);

	g_main_loop_run(self->loop);
	/* the last turn's log lines: no turn comes after it to write them */
	ms_log_batch_flush();

	g_source_remove(signal_id);
	if (watchdog_id != 0)
		g_source_remove(watchdog_id);
	if (status_id != 0)
		g_source_remove(status_id);
	g_source_remove(tick_id);
	if (self->server->get_n_requests != NULL)
		ms_message("exiting after %" G_GUINT64_FORMAT " request(s)%s",
			   self->server->get_n_requests(self->server),
			   self->exit_idle ? " (idle)" : "");
	else
		ms_message("exiting%s", self->exit_idle ? " (idle)" : "");
	return TRUE;
}
