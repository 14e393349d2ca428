/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "ms-http-greeter.h"

#include <gio/gunixsocketaddress.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <sys/un.h>

#include "common/ms-problem.h"
#include "common/ms-request-id.h"

/*
 * The HTTP side of a far greeter. One SoupSession per upstream: its
 * remote-connectable is the upstream's socket (unix:PATH) or host and port
 * (http://HOST:PORT, in a container or a pod), so every request goes there
 * whatever the URI says, and its pool is that upstream's alone.
 */

#define MS_HTTP_GREETER_MAX_CONNS 32

struct _MsHttpGreeter {
	GObject parent_instance;
	char *name;
	char *upstream; /* as given: what errors name */
	gboolean accepts_name;
	SoupSession *session;
};

static void
ms_http_greeter_iface_init(MsGreeterInterface *iface);

G_DEFINE_TYPE_WITH_CODE(MsHttpGreeter,
			ms_http_greeter,
			G_TYPE_OBJECT,
			G_IMPLEMENT_INTERFACE(MS_TYPE_GREETER, ms_http_greeter_iface_init))

/* one request in flight: the task's data */
typedef struct {
	SoupMessage *msg;
	GOutputStream *body; /* fixed size: a longer answer fails instead of growing */
} HttpCall;

static void
http_call_free(HttpCall *call)
{
	g_clear_object(&call->msg);
	g_clear_object(&call->body);
	g_free(call);
}

static const char *
ms_http_greeter_get_name(MsGreeter *greeter)
{
	return MS_HTTP_GREETER(greeter)->name;
}

static gboolean
ms_http_greeter_accepts_name(MsGreeter *greeter)
{
	return MS_HTTP_GREETER(greeter)->accepts_name;
}

/* a transport failure: cancellation stays itself, everything else gets our code */
static GError *
error_from_transport(MsHttpGreeter *self, const GError *error)
{
	MsGreeterError code = MS_GREETER_ERROR_UNAVAILABLE;

	if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
		return g_error_copy(error);
	if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
		code = MS_GREETER_ERROR_TIMED_OUT;
	else if (error->domain == SOUP_SESSION_ERROR)
		code = MS_GREETER_ERROR_BAD_RESPONSE;
	return g_error_new(MS_GREETER_ERROR,
			   code,
			   "%s at %s: %s",
			   self->name,
			   self->upstream,
			   error->message);
}

static JsonObject *
body_parse_object(const char *data, gsize size, GError **error)
{
	g_autoptr(JsonParser) parser = json_parser_new_immutable();
	JsonNode *root;

	if (!json_parser_load_from_data(parser, data, (gssize)size, error))
		return NULL;
	root = json_parser_get_root(parser);
	if (root == NULL || !JSON_NODE_HOLDS_OBJECT(root)) {
		g_set_error_literal(error,
				    JSON_PARSER_ERROR,
				    JSON_PARSER_ERROR_INVALID_DATA,
				    "not a JSON object");
		return NULL;
	}
	return json_object_ref(json_node_get_object(root));
}

static const char *
object_get_string(JsonObject *object, const char *member)
{
	JsonNode *node = json_object_get_member(object, member);

	if (node == NULL || !JSON_NODE_HOLDS_VALUE(node) ||
	    json_node_get_value_type(node) != G_TYPE_STRING)
		return NULL;
	return json_node_get_string(node);
}

/* what a 200 or a 400 says; any other answer is one the greeting cannot use */
static char *
response_parse(MsHttpGreeter *self, HttpCall *call, GError **error)
{
	guint status = soup_message_get_status(call->msg);
	GMemoryOutputStream *body = G_MEMORY_OUTPUT_STREAM(call->body);
	const char *content_type = NULL;
	const char *text;
	g_autoptr(JsonObject) object = NULL;
	g_autoptr(GError) parse_error = NULL;

	content_type =
		soup_message_headers_get_content_type(soup_message_get_response_headers(call->msg),
						      NULL);
	if (status == SOUP_STATUS_BAD_GATEWAY || status == SOUP_STATUS_SERVICE_UNAVAILABLE ||
	    status == SOUP_STATUS_GATEWAY_TIMEOUT) {
		g_set_error(error,
			    MS_GREETER_ERROR,
			    status == SOUP_STATUS_GATEWAY_TIMEOUT ? MS_GREETER_ERROR_TIMED_OUT
								  : MS_GREETER_ERROR_UNAVAILABLE,
			    "%s answered HTTP %u",
			    self->name,
			    status);
		return NULL;
	}
	if (status != SOUP_STATUS_OK && status != SOUP_STATUS_BAD_REQUEST) {
		g_set_error(error,
			    MS_GREETER_ERROR,
			    MS_GREETER_ERROR_BAD_RESPONSE,
			    "%s answered HTTP %u",
			    self->name,
			    status);
		return NULL;
	}
	if (g_strcmp0(content_type, "application/json") != 0 &&
	    g_strcmp0(content_type, "application/problem+json") != 0) {
		g_set_error(error,
			    MS_GREETER_ERROR,
			    MS_GREETER_ERROR_BAD_RESPONSE,
			    "%s answered HTTP %u with %s, not JSON",
			    self->name,
			    status,
			    content_type != NULL ? content_type : "no content type");
		return NULL;
	}
	object = body_parse_object(g_memory_output_stream_get_data(body),
				   g_memory_output_stream_get_data_size(body),
				   &parse_error);
	if (object == NULL) {
		g_set_error(error,
			    MS_GREETER_ERROR,
			    MS_GREETER_ERROR_BAD_RESPONSE,
			    "%s answered HTTP %u with bad JSON: %s",
			    self->name,
			    status,
			    parse_error->message);
		return NULL;
	}
	if (status == SOUP_STATUS_BAD_REQUEST) {
		const char *detail = object_get_string(object, "detail");

		/* the upstream's own name rules: its refusal is the client's fault */
		if (g_strcmp0(object_get_string(object, "type"),
			      MS_PROBLEM_TYPE_PREFIX "invalid_name") == 0) {
			g_set_error_literal(error,
					    MS_GREETER_ERROR,
					    MS_GREETER_ERROR_INVALID_NAME,
					    detail != NULL ? detail : "invalid name");
			return NULL;
		}
		g_set_error(error,
			    MS_GREETER_ERROR,
			    MS_GREETER_ERROR_BAD_RESPONSE,
			    "%s refused the request: %s",
			    self->name,
			    detail != NULL ? detail : "no detail");
		return NULL;
	}
	text = object_get_string(object, "message");
	if (text == NULL || *text == '\0') {
		g_set_error(error,
			    MS_GREETER_ERROR,
			    MS_GREETER_ERROR_BAD_RESPONSE,
			    "%s answered no message",
			    self->name);
		return NULL;
	}
	return g_strdup(text);
}

static void
on_body_read(GObject *source, GAsyncResult *result, gpointer user_data)
{
	g_autoptr(GTask) task = user_data;
	MsHttpGreeter *self = g_task_get_source_object(task);
	HttpCall *call = g_task_get_task_data(task);
	g_autoptr(GError) error = NULL;
	char *message;

	if (g_output_stream_splice_finish(G_OUTPUT_STREAM(source), result, &error) < 0) {
		if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_NO_SPACE))
			g_task_return_new_error(task,
						MS_GREETER_ERROR,
						MS_GREETER_ERROR_BAD_RESPONSE,
						"%s answered more than %d bytes",
						self->name,
						MS_HTTP_GREETER_MAX_BODY_BYTES);
		else
			g_task_return_error(task, error_from_transport(self, error));
		return;
	}
	message = response_parse(self, call, &error);
	if (message == NULL) {
		g_task_return_error(task, g_steal_pointer(&error));
		return;
	}
	g_task_return_pointer(task, message, g_free);
}

static void
on_sent(GObject *source, GAsyncResult *result, gpointer user_data)
{
	g_autoptr(GTask) task = user_data;
	MsHttpGreeter *self = g_task_get_source_object(task);
	HttpCall *call = g_task_get_task_data(task);
	GCancellable *cancellable = g_task_get_cancellable(task);
	g_autoptr(GInputStream) stream = NULL;
	g_autoptr(GError) error = NULL;

	stream = soup_session_send_finish(SOUP_SESSION(source), result, &error);
	if (stream == NULL) {
		g_task_return_error(task, error_from_transport(self, error));
		return;
	}
	call->body = g_memory_output_stream_new(g_malloc(MS_HTTP_GREETER_MAX_BODY_BYTES),
						MS_HTTP_GREETER_MAX_BODY_BYTES,
						NULL,
						g_free);
	g_output_stream_splice_async(call->body,
				     stream,
				     G_OUTPUT_STREAM_SPLICE_CLOSE_SOURCE |
					     G_OUTPUT_STREAM_SPLICE_CLOSE_TARGET,
				     G_PRIORITY_DEFAULT,
				     cancellable,
				     on_body_read,
				     g_steal_pointer(&task));
}

static char *
request_uri(MsHttpGreeter *self, const char *name)
{
	g_autofree char *escaped = NULL;

	/* the host is a placeholder: remote-connectable decides where it goes */
	if (name == NULL || !self->accepts_name)
		return g_strdup_printf("http://localhost/%s", self->name);
	escaped = g_uri_escape_string(name, NULL, FALSE);
	return g_strdup_printf("http://localhost/%s?name=%s", self->name, escaped);
}

static void
ms_http_greeter_greet_async(MsGreeter *greeter,
			    const char *name,
			    const char *language,
			    const char *request_id,
			    GCancellable *cancellable,
			    GAsyncReadyCallback callback,
			    gpointer user_data)
{
	MsHttpGreeter *self = MS_HTTP_GREETER(greeter);
	g_autoptr(GTask) task = g_task_new(self, cancellable, callback, user_data);
	g_autofree char *uri = request_uri(self, name);
	SoupMessageHeaders *headers;
	HttpCall *call = g_new0(HttpCall, 1);

	g_task_set_source_tag(task, ms_http_greeter_greet_async);
	g_task_set_task_data(task, call, (GDestroyNotify)http_call_free);
	call->msg = soup_message_new(SOUP_METHOD_GET, uri);
	if (call->msg == NULL) {
		g_task_return_new_error(task,
					MS_GREETER_ERROR,
					MS_GREETER_ERROR_UNAVAILABLE,
					"cannot make a request URI for %s",
					self->name);
		return;
	}
	headers = soup_message_get_request_headers(call->msg);
	soup_message_headers_replace(headers, "Accept", "application/json");
	if (language != NULL)
		soup_message_headers_replace(headers, "Accept-Language", language);
	if (request_id != NULL)
		soup_message_headers_replace(headers, MS_REQUEST_ID_HEADER, request_id);
	soup_session_send_async(self->session,
				call->msg,
				G_PRIORITY_DEFAULT,
				cancellable,
				on_sent,
				g_steal_pointer(&task));
}

static void
ms_http_greeter_iface_init(MsGreeterInterface *iface)
{
	iface->get_name = ms_http_greeter_get_name;
	iface->accepts_name = ms_http_greeter_accepts_name;
	iface->greet_async = ms_http_greeter_greet_async;
}

static void
ms_http_greeter_finalize(GObject *object)
{
	MsHttpGreeter *self = MS_HTTP_GREETER(object);

	if (self->session != NULL)
		soup_session_abort(self->session);
	g_clear_object(&self->session);
	g_free(self->upstream);
	g_free(self->name);
	G_OBJECT_CLASS(ms_http_greeter_parent_class)->finalize(object);
}

static void
ms_http_greeter_class_init(MsHttpGreeterClass *klass)
{
	G_OBJECT_CLASS(klass)->finalize = ms_http_greeter_finalize;
}

static void
ms_http_greeter_init(MsHttpGreeter *self)
{
}

/* unix:PATH, as a socket address */
static GSocketConnectable *
unix_upstream_parse(const char *upstream, GError **error)
{
	struct sockaddr_un addr;
	const char *path = upstream + strlen("unix:");

	if (*path == '\0' || strlen(path) >= sizeof addr.sun_path) {
		g_set_error(error,
			    G_IO_ERROR,
			    G_IO_ERROR_INVALID_ARGUMENT,
			    "upstream “%s” needs a socket path of 1 to %zu bytes",
			    upstream,
			    sizeof addr.sun_path - 1);
		return NULL;
	}
	return G_SOCKET_CONNECTABLE(g_unix_socket_address_new(path));
}

/* http://HOST:PORT with no path: a host name is resolved on each connect */
static GSocketConnectable *
http_upstream_parse(const char *upstream, GError **error)
{
	g_autoptr(GUri) uri = g_uri_parse(upstream, G_URI_FLAGS_NONE, NULL);
	const char *path = uri != NULL ? g_uri_get_path(uri) : NULL;

	if (uri == NULL || g_uri_get_host(uri) == NULL || *g_uri_get_host(uri) == '\0' ||
	    g_uri_get_port(uri) <= 0 || (*path != '\0' && g_strcmp0(path, "/") != 0) ||
	    g_uri_get_query(uri) != NULL || g_uri_get_userinfo(uri) != NULL) {
		g_set_error(error,
			    G_IO_ERROR,
			    G_IO_ERROR_INVALID_ARGUMENT,
			    "upstream “%s” is not http://HOST:PORT",
			    upstream);
		return NULL;
	}
	return g_network_address_new(g_uri_get_host(uri), (guint16)g_uri_get_port(uri));
}

static GSocketConnectable *
upstream_parse(const char *upstream, GError **error)
{
	if (upstream != NULL && g_str_has_prefix(upstream, "unix:"))
		return unix_upstream_parse(upstream, error);
	if (upstream != NULL && g_str_has_prefix(upstream, "http://"))
		return http_upstream_parse(upstream, error);
	g_set_error(error,
		    G_IO_ERROR,
		    G_IO_ERROR_INVALID_ARGUMENT,
		    "upstream “%s” is not unix:PATH or http://HOST:PORT",
		    upstream != NULL ? upstream : "");
	return NULL;
}

/**
 * ms_http_greeter_new:
 * @name: the far greeter's name, which is also its path: "hello" → GET /hello
 * @upstream: where it listens, `unix:PATH` or `http://HOST:PORT`
 * @accepts_name: whether it takes ?name= (hello does, world does not)
 *
 * Returns: (transfer full): the greeter, or %NULL when @upstream is not usable
 */
MsHttpGreeter *
ms_http_greeter_new(const char *name, const char *upstream, gboolean accepts_name, GError **error)
{
	g_autoptr(MsHttpGreeter) self = NULL;
	g_autoptr(GSocketConnectable) address = upstream_parse(upstream, error);

	if (address == NULL)
		return NULL;
	self = g_object_new(MS_TYPE_HTTP_GREETER, NULL);
	self->name = g_strdup(name);
	self->accepts_name = accepts_name;
	self->upstream = g_strdup(upstream);
	self->session = soup_session_new_with_options("remote-connectable",
						      address,
						      "idle-timeout",
						      MS_HTTP_GREETER_IDLE_TIMEOUT_S,
						      "max-conns",
						      MS_HTTP_GREETER_MAX_CONNS,
						      "max-conns-per-host",
						      MS_HTTP_GREETER_MAX_CONNS,
						      "user-agent",
						      PACKAGE_NAME "/" PACKAGE_VERSION,
						      NULL);
	return g_steal_pointer(&self);
}

/**
 * ms_http_greeter_set_timeout:
 * @timeout_ms: how long a request may wait for I/O; 0 for ever
 *
 * A backstop under the caller's own deadline; libsoup counts whole seconds.
 */
void
ms_http_greeter_set_timeout(MsHttpGreeter *self, guint timeout_ms)
{
	g_return_if_fail(MS_IS_HTTP_GREETER(self));
	g_object_set(self->session, "timeout", (timeout_ms + 999) / 1000, NULL);
}
