#include "config.h"

#include "greeting-test-util.h"

#include <gio/gunixsocketaddress.h>

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
