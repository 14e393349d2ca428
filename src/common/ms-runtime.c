#include "config.h"

#include "ms-runtime.h"

#include <errno.h>
#include <fcntl.h>
#include <glib-unix.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>

#include "ms-connection-tracker.h"
#include "ms-i18n.h"
#include "ms-idle-monitor.h"
#include "ms-listen.h"
#include "ms-log.h"
#include "ms-notify.h"
#include "ms-request-id.h"

/*
 * What every microsoup binary does around its handlers: take the sockets systemd
 * passed (or bind --listen ones), stop accepting on SIGTERM while in-flight
 * requests finish, exit when idle, talk to systemd (READY, STATUS, STOPPING,
 * watchdog) and log one line per request.
 */

struct _MsRuntime {
	GObject parent_instance;
	char *identifier;
	SoupServer *server;
	GPtrArray *listen_sockets;   /* dups handed to libsoup; closing them stops accepting */
	GPtrArray *original_sockets; /* what systemd passed or --listen bound */
	GMainLoop *loop;
	MsIdleMonitor *idle;
	GStrv listen_specs;
	int idle_timeout;
	MsConnectionTracker *tracker;
	gboolean stopping;
	gint64 stop_time;
	guint drain_id;
	gboolean exit_idle;
	guint64 requests_served;
};

G_DEFINE_TYPE(MsRuntime, ms_runtime, G_TYPE_OBJECT)

/* how often ended connections are looked for, besides when the service is idle */
#define MS_RUNTIME_SWEEP_SECONDS 5
/* the longest a stop waits for clients; systemd's TimeoutStopSec= is longer */
#define MS_RUNTIME_DRAIN_SECONDS  10
#define MS_RUNTIME_DRAIN_CHECK_MS 20

static GQuark start_time_quark;

static void
ms_runtime_finalize(GObject *object)
{
	MsRuntime *self = MS_RUNTIME(object);
	g_clear_pointer(&self->listen_sockets, g_ptr_array_unref);
	g_clear_pointer(&self->original_sockets, g_ptr_array_unref);
	g_clear_object(&self->server);
	g_clear_pointer(&self->idle, ms_idle_monitor_free);
	g_clear_pointer(&self->tracker, ms_connection_tracker_free);
	g_clear_pointer(&self->loop, g_main_loop_unref);
	g_strfreev(self->listen_specs);
	g_free(self->identifier);
	G_OBJECT_CLASS(ms_runtime_parent_class)->finalize(object);
}

static void
ms_runtime_class_init(MsRuntimeClass *klass)
{
	G_OBJECT_CLASS(klass)->finalize = ms_runtime_finalize;
	start_time_quark = g_quark_from_static_string("ms-runtime-start-time");
}

static void
ms_runtime_init(MsRuntime *self)
{
	self->idle_timeout = MS_RUNTIME_DEFAULT_IDLE_TIMEOUT;
	self->listen_specs = g_new0(char *, 1);
	self->listen_sockets = g_ptr_array_new_with_free_func(g_object_unref);
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
	/* the server header is our name: no libsoup version string for scanners */
	self->server = soup_server_new("server-header", self->identifier, NULL);
	ms_log_init(self->identifier);
	ms_i18n_init();
	return self;
}

SoupServer *
ms_runtime_get_server(MsRuntime *self)
{
	return self->server;
}

guint
ms_runtime_get_idle_timeout(MsRuntime *self)
{
	return (guint)self->idle_timeout;
}

/**
 * ms_runtime_get_listen_specs:
 *
 * Returns: (transfer none): the --listen specs, for binaries that run their own
 *   server loop (the gateway's worker threads)
 */
const char *const *
ms_runtime_get_listen_specs(MsRuntime *self)
{
	return (const char *const *)self->listen_specs;
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
on_sweep_timer(gpointer user_data)
{
	MsRuntime *self = user_data;

	ms_connection_tracker_sweep(self->tracker);
	return G_SOURCE_CONTINUE;
}

static void
on_request_started(SoupServer *server, SoupServerMessage *msg, gpointer user_data)
{
	MsRuntime *self = user_data;

	ms_connection_tracker_message_started(self->tracker, msg);
}

static void
on_request_read(SoupServer *server, SoupServerMessage *msg, gpointer user_data)
{
	MsRuntime *self = user_data;

	ms_connection_tracker_message_read(self->tracker, msg);
	ms_request_id_ensure(msg);
	g_object_set_qdata(G_OBJECT(msg),
			   start_time_quark,
			   GSIZE_TO_POINTER(g_get_monotonic_time()));
}

static void
log_request(MsRuntime *self, SoupServerMessage *msg)
{
	gint64 started = GPOINTER_TO_SIZE(g_object_get_qdata(G_OBJECT(msg), start_time_quark));
	char status_buffer[MS_LOG_UINT_SIZE];
	char duration_buffer[MS_LOG_UINT_SIZE];
	/* text made without printf(): this runs for every request */
	const char *status_text =
		ms_log_format_uint(soup_server_message_get_status(msg), status_buffer);
	const char *duration =
		ms_log_format_uint((guint64)(g_get_monotonic_time() - started), duration_buffer);
	const char *method = soup_server_message_get_method(msg);
	const char *path = g_uri_get_path(soup_server_message_get_uri(msg));
	const MsLogField fields[] = {
		{ "REQUEST_ID", ms_request_id_get(msg) },
		{ "HTTP_METHOD", method },
		{ "HTTP_PATH", path },
		{ "HTTP_STATUS", status_text },
		{ "DURATION_USEC", duration },
		{ "USER_NAME",
		  soup_message_headers_get_one(soup_server_message_get_request_headers(msg),
					       "X-Microsoup-User") },
	};
	g_autofree char *message =
		g_strconcat(method, " ", path, " ", status_text, " ", duration, "µs", NULL);

	ms_log_fields(G_LOG_LEVEL_INFO, fields, G_N_ELEMENTS(fields), "%s", message);
}

static void
maybe_quit_after_stop(gpointer user_data)
{
	MsRuntime *self = user_data;

	if (!self->stopping || self->loop == NULL)
		return;
	if (ms_connection_tracker_get_work_left(self->tracker) > 0 &&
	    g_get_monotonic_time() - self->stop_time < MS_RUNTIME_DRAIN_SECONDS * G_USEC_PER_SEC)
		return;
	g_main_loop_quit(self->loop);
}

static gboolean
on_drain_timer(gpointer user_data)
{
	maybe_quit_after_stop(user_data);
	return G_SOURCE_CONTINUE;
}

static void
on_request_finished(SoupServer *server, SoupServerMessage *msg, gpointer user_data)
{
	MsRuntime *self = user_data;

	if (g_object_get_qdata(G_OBJECT(msg), start_time_quark) != NULL) {
		self->requests_served++;
		log_request(self, msg);
	}
	ms_connection_tracker_message_done(self->tracker, msg, TRUE);
	maybe_quit_after_stop(self);
}

static void
on_request_aborted(SoupServer *server, SoupServerMessage *msg, gpointer user_data)
{
	MsRuntime *self = user_data;

	ms_connection_tracker_message_done(self->tracker, msg, FALSE);
	maybe_quit_after_stop(self);
}

static void
stop_accepting(MsRuntime *self)
{
	self->stopping = TRUE;
	self->stop_time = g_get_monotonic_time();
	/*
	 * libsoup cannot remove one listener, but it stops watching a socket whose
	 * accept fails. It was given duplicates: closing them fails the next accept,
	 * while the original socket (and systemd's copy of it) stays open, so
	 * connections queued in its backlog wait for the next instance.
	 */
	for (guint i = 0; i < self->listen_sockets->len; i++)
		g_socket_close(g_ptr_array_index(self->listen_sockets, i), NULL);
}

static gboolean
on_idle_timeout(gpointer user_data)
{
	MsRuntime *self = user_data;
	guint open = ms_connection_tracker_sweep(self->tracker);

	if (open > 0) {
		ms_log_fields(G_LOG_LEVEL_DEBUG,
			      NULL,
			      0,
			      "idle, but %u connection(s) still open",
			      open);
		return G_SOURCE_CONTINUE;
	}
	ms_message("idle for %d s, exiting; systemd starts the service again on demand",
		   self->idle_timeout);
	self->exit_idle = TRUE;
	stop_accepting(self);
	g_main_loop_quit(self->loop);
	return G_SOURCE_REMOVE;
}

static gboolean
on_terminate(gpointer user_data)
{
	MsRuntime *self = user_data;

	if (self->stopping)
		return G_SOURCE_CONTINUE;
	ms_message("stopping: no new connections, finishing %u request(s) in flight",
		   ms_connection_tracker_get_n_in_flight(self->tracker));
	ms_notify_stopping();
	stop_accepting(self);
	ms_connection_tracker_stop(self->tracker);
	/* libsoup reports no connection's end: look again until nothing is left */
	self->drain_id = g_timeout_add(MS_RUNTIME_DRAIN_CHECK_MS, on_drain_timer, self);
	maybe_quit_after_stop(self);
	return G_SOURCE_CONTINUE;
}

/*
 * The services have nothing to reload, but a stray SIGHUP must not kill them;
 * logged so that an operator who expected a reload learns there is none.
 */
static gboolean
on_hangup(gpointer user_data)
{
	ms_message("SIGHUP: nothing to reload, still serving");
	return G_SOURCE_CONTINUE;
}

static gboolean
listen_on(MsRuntime *self, GSocket *socket, GError **error)
{
	g_autoptr(GSocket) duplicate = NULL;
	int fd = fcntl(g_socket_get_fd(socket), F_DUPFD_CLOEXEC, 3);

	if (fd < 0) {
		g_set_error(error,
			    G_IO_ERROR,
			    g_io_error_from_errno(errno),
			    "duplicating a listening socket: %s",
			    g_strerror(errno));
		return FALSE;
	}
	duplicate = g_socket_new_from_fd(fd, error);
	if (duplicate == NULL) {
		close(fd);
		return FALSE;
	}
	if (!soup_server_listen_socket(self->server, duplicate, 0, error))
		return FALSE;
	g_ptr_array_add(self->listen_sockets, g_steal_pointer(&duplicate));
	return TRUE;
}

static gboolean
add_listeners(MsRuntime *self, GError **error)
{
	g_autoptr(GPtrArray) sockets = ms_listen_sockets_from_systemd(error);

	if (sockets == NULL)
		return FALSE;
	if (sockets->len == 0) {
		for (guint i = 0; self->listen_specs[i] != NULL; i++) {
			GSocket *socket = ms_listen_socket_open(self->listen_specs[i], error);
			if (socket == NULL)
				return FALSE;
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
		return FALSE;
	}
	for (guint i = 0; i < sockets->len; i++) {
		if (!listen_on(self, g_ptr_array_index(sockets, i), error))
			return FALSE;
	}
	/* the originals stay open until exit: they keep the backlog alive */
	self->original_sockets = g_steal_pointer(&sockets);
	return TRUE;
}

/**
 * ms_runtime_run:
 *
 * Serves until SIGTERM/SIGINT (after in-flight requests finish) or until idle.
 *
 * Returns: %TRUE on a clean exit, %FALSE with @error when serving could not start
 */
gboolean
ms_runtime_run(MsRuntime *self, GError **error)
{
	g_autofree char *status = NULL;
	guint watchdog_id;
	guint sweep_id;
	guint signal_ids[3];

	if (!add_listeners(self, error))
		return FALSE;
	g_signal_connect(self->server, "request-started", G_CALLBACK(on_request_started), self);
	g_signal_connect(self->server, "request-read", G_CALLBACK(on_request_read), self);
	g_signal_connect(self->server, "request-finished", G_CALLBACK(on_request_finished), self);
	g_signal_connect(self->server, "request-aborted", G_CALLBACK(on_request_aborted), self);

	self->loop = g_main_loop_new(NULL, FALSE);
	self->idle = ms_idle_monitor_new((guint)self->idle_timeout, on_idle_timeout, self);
	self->tracker = ms_connection_tracker_new(self->idle, maybe_quit_after_stop, self);
	signal_ids[0] = g_unix_signal_add(SIGTERM, on_terminate, self);
	signal_ids[1] = g_unix_signal_add(SIGINT, on_terminate, self);
	signal_ids[2] = g_unix_signal_add(SIGHUP, on_hangup, self);
	watchdog_id = ms_notify_watchdog_start();
	sweep_id = g_timeout_add_seconds(MS_RUNTIME_SWEEP_SECONDS, on_sweep_timer, self);

	status = g_strdup_printf("serving; idle timeout %d s", self->idle_timeout);
	ms_notify_ready(status);
	ms_message("%s %s ready", self->identifier, PACKAGE_VERSION);

	g_main_loop_run(self->loop);

	ms_notify_stopping();
	for (guint i = 0; i < G_N_ELEMENTS(signal_ids); i++)
		g_source_remove(signal_ids[i]);
	if (watchdog_id != 0)
		g_source_remove(watchdog_id);
	g_source_remove(sweep_id);
	g_clear_handle_id(&self->drain_id, g_source_remove);
	g_signal_handlers_disconnect_by_data(self->server, self);
	g_clear_pointer(&self->tracker, ms_connection_tracker_free);
	soup_server_disconnect(self->server);
	ms_message("exiting after %" G_GUINT64_FORMAT " request(s)%s",
		   self->requests_served,
		   self->exit_idle ? " (idle)" : "");
	return TRUE;
}
