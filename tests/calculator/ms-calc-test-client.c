#include "config.h"

#include "ms-calc-test-client.h"

#include <gio/gunixsocketaddress.h>

/**
 * ms_calc_test_session_new:
 *
 * Returns: (transfer full): a session whose every connection goes to @socket_path
 */
SoupSession *
ms_calc_test_session_new(const char *socket_path)
{
	g_autoptr(GSocketAddress) address = g_unix_socket_address_new(socket_path);

	return soup_session_new_with_options("remote-connectable", address, "timeout", 30, NULL);
}

typedef struct {
	GBytes *body;
	GError *error;
	gboolean done;
} Wait;

static void
on_sent(GObject *source, GAsyncResult *result, gpointer user_data)
{
	Wait *wait = user_data;

	wait->body = soup_session_send_and_read_finish(SOUP_SESSION(source), result, &wait->error);
	wait->done = TRUE;
}

/**
 * ms_calc_test_request:
 * @content_type: (nullable): sent only when not %NULL
 * @body: (nullable): the request body
 * @length: bytes of @body, or -1 when NUL-terminated
 * @headers: (nullable): name, value, name, value, ..., %NULL
 *
 * Sends one request asynchronously and iterates the default main context until
 * the answer is in, so a server on the same context keeps serving meanwhile.
 */
MsCalcTestResponse *
ms_calc_test_request(SoupSession *session,
		     const char *method,
		     const char *path,
		     const char *content_type,
		     const char *body,
		     gssize length,
		     const char *const *headers)
{
	g_autofree char *uri = g_strconcat("http://localhost", path, NULL);
	g_autoptr(SoupMessage) msg = soup_message_new(method, uri);
	g_autoptr(JsonParser) parser = json_parser_new();
	MsCalcTestResponse *response = g_new0(MsCalcTestResponse, 1);
	Wait wait = { 0 };

	g_assert_nonnull(msg);
	if (body != NULL) {
		g_autoptr(GBytes) bytes =
			g_bytes_new(body, length < 0 ? strlen(body) : (gsize)length);
		soup_message_set_request_body_from_bytes(msg, NULL, bytes);
	}
	if (content_type != NULL)
		soup_message_headers_replace(soup_message_get_request_headers(msg),
					     "Content-Type",
					     content_type);
	for (guint i = 0; headers != NULL && headers[i] != NULL; i += 2)
		soup_message_headers_replace(soup_message_get_request_headers(msg),
					     headers[i],
					     headers[i + 1]);
	soup_session_send_and_read_async(session, msg, G_PRIORITY_DEFAULT, NULL, on_sent, &wait);
	while (!wait.done)
		g_main_context_iteration(NULL, TRUE);
	g_assert_no_error(wait.error);
	response->status = soup_message_get_status(msg);
	response->headers = soup_message_headers_ref(soup_message_get_response_headers(msg));
	response->body = wait.body;
	if (json_parser_load_from_data(parser,
				       g_bytes_get_data(wait.body, NULL),
				       (gssize)g_bytes_get_size(wait.body),
				       NULL) &&
	    JSON_NODE_HOLDS_OBJECT(json_parser_get_root(parser)))
		response->json =
			json_object_ref(json_node_get_object(json_parser_get_root(parser)));
	return response;
}

void
ms_calc_test_response_free(MsCalcTestResponse *response)
{
	if (response == NULL)
		return;
	soup_message_headers_unref(response->headers);
	g_bytes_unref(response->body);
	if (response->json != NULL)
		json_object_unref(response->json);
	g_free(response);
}

/* Returns: the short problem type, e.g. "division_by_zero", or NULL */
const char *
ms_calc_test_response_get_type(MsCalcTestResponse *response)
{
	const char *type;

	if (response->json == NULL || !json_object_has_member(response->json, "type"))
		return NULL;
	type = json_object_get_string_member(response->json, "type");
	return g_str_has_prefix(type, "urn:microsoup:problem:")
		       ? type + strlen("urn:microsoup:problem:")
		       : type;
}

/* Returns: (transfer full): the body as text, for exact comparisons */
char *
ms_calc_test_response_get_text(MsCalcTestResponse *response)
{
	return g_strndup(g_bytes_get_data(response->body, NULL), g_bytes_get_size(response->body));
}
