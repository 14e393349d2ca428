/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <json-glib/json-glib.h>

#include "common/ms-log.h"
#include "gateway/core/policy/ms-credentials.h"
#include "gateway/adapters/front/ms-gateway-front.h"
#include "ms-gateway-test.h"
#include "ms-test-utils.h"

static void
capture_log(GLogLevelFlags level, const GLogField *fields, gsize n_fields, gpointer user_data)
{
	GPtrArray *log = user_data;
	GHashTable *entry = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);

	/* only string fields: the binary ones have a length */
	for (gsize i = 0; i < n_fields; i++) {
		if (fields[i].length < 0)
			g_hash_table_insert(entry,
					    g_strdup(fields[i].key),
					    g_strdup(fields[i].value));
	}
	g_ptr_array_add(log, entry);
}

GPtrArray *
ms_gateway_test_log_capture(void)
{
	GPtrArray *log = g_ptr_array_new_with_free_func((GDestroyNotify)g_hash_table_unref);

	ms_log_set_capture(capture_log, log);
	return log;
}

/* lets the sources of closed connections run down, they may still log, then ends the capture */
void
ms_gateway_test_log_release(GPtrArray *log)
{
	while (g_main_context_iteration(NULL, FALSE))
		;
	ms_log_set_capture(NULL, NULL);
	g_ptr_array_unref(log);
}

/* the values of @field in the entries that have it, in order; NULL for every field */
GPtrArray *
ms_gateway_test_log_values(GPtrArray *log, const char *field)
{
	GPtrArray *values = g_ptr_array_new();

	for (guint i = 0; i < log->len; i++) {
		GHashTable *entry = g_ptr_array_index(log, i);
		GHashTableIter iter;
		gpointer key;
		gpointer value;

		g_hash_table_iter_init(&iter, entry);
		while (g_hash_table_iter_next(&iter, &key, &value)) {
			if (field == NULL || g_strcmp0(key, field) == 0)
				g_ptr_array_add(values, value);
		}
	}
	return values;
}

typedef struct {
	GPtrArray *log;
	const char *request_id;
	GHashTable *entry;
} AccessWait;

static gboolean
find_access_entry(gpointer user_data)
{
	AccessWait *wait = user_data;

	for (guint i = 0; i < wait->log->len; i++) {
		GHashTable *entry = g_ptr_array_index(wait->log, i);
		if (g_strcmp0(g_hash_table_lookup(entry, "REQUEST_ID"), wait->request_id) == 0 &&
		    g_hash_table_contains(entry, "HTTP_STATUS") &&
		    !g_hash_table_contains(entry, "MESSAGE_ID")) {
			wait->entry = entry;
			return TRUE;
		}
	}
	return FALSE;
}

/*
 * the access entry for @request_id: it is written when the response is done,
 * which the gateway learns in a source of the default main context
 */
GHashTable *
ms_gateway_test_wait_access_entry(GPtrArray *log, const char *request_id)
{
	AccessWait wait = { log, request_id, NULL };

	ms_test_wait_until(find_access_entry, &wait, 5000);
	return wait.entry;
}

MsGatewayConfig *
ms_gateway_test_config_new(const char *text)
{
	g_autoptr(GError) error = NULL;
	MsGatewayConfig *config =
		ms_gateway_config_load_data(text, strlen(text), "test.conf", &error);

	g_assert_no_error(error);
	return config;
}

/* a gateway whose policies know @users and @api_keys (in the files' formats, or NULL) */
MsGateway *
ms_gateway_test_new(MsGatewayConfig *config, const char *users, const char *api_keys)
{
	g_autoptr(MsCredentials) credentials = ms_credentials_new();

	if (users != NULL)
		g_assert_true(ms_credentials_load_users(credentials,
							users,
							strlen(users),
							"users",
							NULL));
	if (api_keys != NULL)
		g_assert_true(ms_credentials_load_api_keys(credentials,
							   api_keys,
							   strlen(api_keys),
							   "keys",
							   NULL));
	return ms_gateway_new(config, credentials);
}

struct _MsGatewayTestFront {
	MsGateway *gateway;
	MsGatewayWorker *worker;
	MsGatewayFront *front;
};

/* a listening TCP socket on 127.0.0.1, on a port of the kernel's choice */
GSocket *
ms_gateway_test_listen_loopback(GSocketAddress **bound)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
	g_autoptr(GSocketAddress) any = g_inet_socket_address_new(loopback, 0);
	g_autoptr(GSocket) listener = g_socket_new(G_SOCKET_FAMILY_IPV4,
						   G_SOCKET_TYPE_STREAM,
						   G_SOCKET_PROTOCOL_TCP,
						   &error);

	g_assert_no_error(error);
	g_socket_bind(listener, any, TRUE, &error);
	g_assert_no_error(error);
	g_socket_listen(listener, &error);
	g_assert_no_error(error);
	*bound = g_socket_get_local_address(listener, &error);
	g_assert_no_error(error);
	return g_steal_pointer(&listener);
}

/* the gateway on a loopback TCP port, as clients meet it, and a session to it */
MsGatewayTestFront *
ms_gateway_test_front_new(MsGateway *gateway, SoupSession **session)
{
	MsGatewayTestFront *self = g_new0(MsGatewayTestFront, 1);
	g_autoptr(GSocketAddress) bound = NULL;
	g_autoptr(GSocket) listener = ms_gateway_test_listen_loopback(&bound);

	self->gateway = gateway;
	self->worker = ms_gateway_attach_front(gateway, NULL);
	self->front = ms_gateway_front_new(self->worker, NULL);
	/* the front accepts as every worker's does, and closes the socket when freed */
	ms_gateway_front_listen(self->front, listener);
	*session = ms_test_session_new_tcp(
		g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(bound)));
	return self;
}

void
ms_gateway_test_front_free(MsGatewayTestFront *self, SoupSession *session)
{
	g_object_unref(session);
	ms_gateway_front_free(self->front);
	ms_gateway_detach(self->gateway, self->worker);
	g_free(self);
}

/*
 * answers @status with what it was asked: the request headers by lower-case
 * name, "path", "method", "query", "body_length" and "body" (the bytes as text,
 * null when they are not UTF-8)
 */
void
ms_gateway_test_send_echo(SoupServerMessage *msg, const char *path, guint status)
{
	g_autoptr(JsonBuilder) builder = json_builder_new();
	g_autoptr(JsonNode) root = NULL;
	SoupMessageHeadersIter iter;
	SoupMessageBody *body = soup_server_message_get_request_body(msg);
	const char *name;
	const char *value;
	char *text;

	json_builder_begin_object(builder);
	soup_message_headers_iter_init(&iter, soup_server_message_get_request_headers(msg));
	while (soup_message_headers_iter_next(&iter, &name, &value)) {
		g_autofree char *lower = g_ascii_strdown(name, -1);
		json_builder_set_member_name(builder, lower);
		json_builder_add_string_value(builder, value);
	}
	json_builder_set_member_name(builder, "path");
	json_builder_add_string_value(builder, path);
	json_builder_set_member_name(builder, "method");
	json_builder_add_string_value(builder, soup_server_message_get_method(msg));
	json_builder_set_member_name(builder, "query");
	json_builder_add_string_value(builder, g_uri_get_query(soup_server_message_get_uri(msg)));
	json_builder_set_member_name(builder, "body_length");
	json_builder_add_int_value(builder, body->length);
	json_builder_set_member_name(builder, "body");
	if (body->length == 0) {
		json_builder_add_string_value(builder, "");
	} else if (g_utf8_validate_len(body->data, (gsize)body->length, NULL)) {
		g_autofree char *copy = g_strndup(body->data, (gsize)body->length);
		json_builder_add_string_value(builder, copy);
	} else {
		json_builder_add_null_value(builder);
	}
	json_builder_end_object(builder);
	root = json_builder_get_root(builder);
	text = json_to_string(root, FALSE);
	soup_server_message_set_status(msg, status, NULL);
	soup_server_message_set_response(msg,
					 "application/json",
					 SOUP_MEMORY_TAKE,
					 text,
					 strlen(text));
}
