#include "config.h"

#include "greeting-test-util.h"

#include <gio/gunixsocketaddress.h>
#include <signal.h>
#include <unistd.h>

/**
 * greeting_test_listen_unix:
 *
 * Returns: (transfer full): a stream socket bound to @path and listening
 */
GSocket *
greeting_test_listen_unix(const char *path)
{
	g_autoptr(GSocket) socket = NULL;
	g_autoptr(GSocketAddress) address = g_unix_socket_address_new(path);
	g_autoptr(GError) error = NULL;

	socket = g_socket_new(G_SOCKET_FAMILY_UNIX,
			      G_SOCKET_TYPE_STREAM,
			      G_SOCKET_PROTOCOL_DEFAULT,
			      &error);
	g_assert_no_error(error);
	g_assert_true(g_socket_bind(socket, address, FALSE, &error));
	g_assert_no_error(error);
	g_assert_true(g_socket_listen(socket, &error));
	g_assert_no_error(error);
	return g_steal_pointer(&socket);
}

/**
 * greeting_test_session_new:
 *
 * Returns: (transfer full): an async client whose every request goes to @socket_path
 */
SoupSession *
greeting_test_session_new(const char *socket_path)
{
	g_autoptr(GSocketAddress) address = g_unix_socket_address_new(socket_path);

	return soup_session_new_with_options("remote-connectable", address, "timeout", 20, NULL);
}

static void
on_sent(GObject *source, GAsyncResult *result, gpointer user_data)
{
	*(GAsyncResult **)user_data = g_object_ref(result);
}

/**
 * greeting_test_get:
 * @body: (out) (optional): the answer's JSON object
 *
 * GET @path_and_query, iterating the default main context until the answer: the
 * servers under test run on the same context, so a sync call would deadlock.
 *
 * Returns: (transfer full): the message, for its status and headers
 */
SoupMessage *
greeting_test_get(SoupSession *session,
		  const char *path_and_query,
		  const char *accept_language,
		  const char *request_id,
		  JsonObject **body)
{
	g_autofree char *uri = g_strconcat("http://localhost", path_and_query, NULL);
	g_autoptr(SoupMessage) msg = soup_message_new(SOUP_METHOD_GET, uri);
	g_autoptr(GAsyncResult) result = NULL;
	g_autoptr(GBytes) bytes = NULL;
	g_autoptr(JsonParser) parser = json_parser_new();
	g_autoptr(GError) error = NULL;
	SoupMessageHeaders *headers = soup_message_get_request_headers(msg);

	if (accept_language != NULL)
		soup_message_headers_replace(headers, "Accept-Language", accept_language);
	if (request_id != NULL)
		soup_message_headers_replace(headers, "X-Request-ID", request_id);
	soup_session_send_and_read_async(session, msg, G_PRIORITY_DEFAULT, NULL, on_sent, &result);
	while (result == NULL)
		g_main_context_iteration(NULL, TRUE);
	bytes = soup_session_send_and_read_finish(session, result, &error);
	g_assert_no_error(error);
	if (body != NULL) {
		JsonNode *root;

		g_assert_true(json_parser_load_from_data(parser,
							 g_bytes_get_data(bytes, NULL),
							 (gssize)g_bytes_get_size(bytes),
							 &error));
		g_assert_no_error(error);
		root = json_parser_get_root(parser);
		g_assert_true(JSON_NODE_HOLDS_OBJECT(root));
		*body = json_object_ref(json_node_get_object(root));
	}
	return g_steal_pointer(&msg);
}

/**
 * greeting_test_get_part:
 *
 * Returns: (transfer none): body.parts.@name, asserting it is there
 */
JsonObject *
greeting_test_get_part(JsonObject *body, const char *name)
{
	JsonObject *parts;

	g_assert_true(json_object_has_member(body, "parts"));
	parts = json_object_get_object_member(body, "parts");
	g_assert_nonnull(parts);
	g_assert_true(json_object_has_member(parts, name));
	return json_object_get_object_member(parts, name);
}

/**
 * greeting_test_spawn_activated:
 * @binary: a built microsoup binary
 * @socket: a listening socket, passed the way systemd passes it
 * @args: (nullable): more arguments
 *
 * Starts @binary with @socket as fd 3 and LISTEN_FDS=1. LISTEN_PID must be the
 * child's own pid, known only after fork: a shell sets it to its $$ and execs the
 * binary, which keeps that pid.
 *
 * Returns: (transfer full): the running process
 */
GSubprocess *
greeting_test_spawn_activated(const char *binary, GSocket *socket, const char *const *args)
{
	g_autoptr(GSubprocessLauncher) launcher =
	    g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_NONE);
	g_autoptr(GPtrArray) argv = g_ptr_array_new();
	g_autoptr(GError) error = NULL;
	GSubprocess *process;
	int fd = dup(g_socket_get_fd(socket));

	g_assert_cmpint(fd, >=, 0);
	g_subprocess_launcher_take_fd(launcher, fd, 3);
	g_subprocess_launcher_setenv(launcher, "LISTEN_FDS", "1", TRUE);
	g_subprocess_launcher_unsetenv(launcher, "LISTEN_PID");
	g_subprocess_launcher_unsetenv(launcher, "LISTEN_FDNAMES");
	g_ptr_array_add(argv, (gpointer) "/bin/sh");
	g_ptr_array_add(argv, (gpointer) "-c");
	g_ptr_array_add(argv, (gpointer) "LISTEN_PID=$$; export LISTEN_PID; exec \"$0\" \"$@\"");
	g_ptr_array_add(argv, (gpointer)binary);
	for (guint i = 0; args != NULL && args[i] != NULL; i++)
		g_ptr_array_add(argv, (gpointer)args[i]);
	g_ptr_array_add(argv, NULL);
	process = g_subprocess_launcher_spawnv(launcher, (const char *const *)argv->pdata, &error);
	g_assert_no_error(error);
	return process;
}

typedef struct {
	gboolean done;
	gboolean exited;
} WaitState;

static void
on_waited(GObject *source, GAsyncResult *result, gpointer user_data)
{
	WaitState *state = user_data;

	state->exited = g_subprocess_wait_finish(G_SUBPROCESS(source), result, NULL);
	state->done = TRUE;
}

static gboolean
on_wait_timeout(gpointer user_data)
{
	g_cancellable_cancel(user_data);
	return G_SOURCE_REMOVE;
}

/**
 * greeting_test_wait_exit:
 *
 * Iterates the default main context until @process exits, for at most @timeout_s.
 *
 * Returns: whether it exited
 */
gboolean
greeting_test_wait_exit(GSubprocess *process, guint timeout_s)
{
	g_autoptr(GCancellable) cancellable = g_cancellable_new();
	WaitState state = { FALSE, FALSE };
	guint timeout_id = g_timeout_add_seconds(timeout_s, on_wait_timeout, cancellable);

	g_subprocess_wait_async(process, cancellable, on_waited, &state);
	while (!state.done)
		g_main_context_iteration(NULL, TRUE);
	if (!g_cancellable_is_cancelled(cancellable))
		g_source_remove(timeout_id);
	return state.exited;
}

/**
 * greeting_test_stop:
 *
 * SIGTERM, as systemd stops a service, then SIGKILL if it does not go.
 */
void
greeting_test_stop(GSubprocess *process)
{
	if (g_subprocess_get_identifier(process) == NULL)
		return;
	g_subprocess_send_signal(process, SIGTERM);
	if (!greeting_test_wait_exit(process, 10)) {
		g_subprocess_force_exit(process);
		g_assert_true(greeting_test_wait_exit(process, 10));
	}
}
