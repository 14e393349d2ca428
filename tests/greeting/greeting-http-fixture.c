/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "greeting-http-fixture.h"

#include <glib/gstdio.h>

#include "adapters/ms-http-greeter.h"
#include "common/ms-request-id.h"
#include "core/services/ms-phrase-greeter.h"
#include "handlers/ms-greeter-handler.h"
#include "handlers/ms-greeting-handler.h"
#include "ms-fake-greeter.h"

static void
on_upstream_request_read(SoupServer *server, SoupServerMessage *msg, gpointer user_data)
{
	GreetingFixture *fx = user_data;
	SoupMessageHeaders *headers = soup_server_message_get_request_headers(msg);

	/* what MsRuntime does for every binary */
	ms_request_id_ensure(msg);
	if (server != fx->hello)
		return;
	fx->hello_requests++;
	g_free(fx->hello_language);
	fx->hello_language = g_strdup(soup_message_headers_get_one(headers, "Accept-Language"));
	g_free(fx->hello_request_id);
	fx->hello_request_id = g_strdup(soup_message_headers_get_one(headers, "X-Request-ID"));
}

SoupServer *
greeting_fx_server_new(GreetingFixture *fx, const char *path)
{
	g_autoptr(SoupServer) server = soup_server_new(NULL, NULL);
	g_autoptr(GSocket) socket = ms_test_bind_unix(path);
	g_autoptr(GError) error = NULL;

	g_signal_connect(server, "request-read", G_CALLBACK(on_upstream_request_read), fx);
	g_assert_true(soup_server_listen_socket(server, socket, 0, &error));
	g_assert_no_error(error);
	return g_steal_pointer(&server);
}

SoupServer *
greeting_fx_upstream_new(GreetingFixture *fx, const char *path, MsGreeter *greeter)
{
	g_autoptr(MsGreeter) owned = greeter;
	SoupServer *server = greeting_fx_server_new(fx, path);

	ms_greeter_handler_register(server, owned);
	return server;
}

static MsGreeter *
far_greeter_new(const char *name, const char *path, gboolean accepts_name)
{
	g_autofree char *upstream = g_strconcat("unix:", path, NULL);
	g_autoptr(GError) error = NULL;
	MsHttpGreeter *greeter = ms_http_greeter_new(name, upstream, accepts_name, &error);

	g_assert_no_error(error);
	return MS_GREETER(greeter);
}

void
greeting_fx_setup(GreetingFixture *fx, gconstpointer data)
{
	g_autoptr(MsGreeter) hello = NULL;
	g_autoptr(MsGreeter) world = NULL;

	fx->dir = ms_test_dir_new();
	fx->hello_path = g_build_filename(fx->dir, "hello.sock", NULL);
	fx->world_path = g_build_filename(fx->dir, "world.sock", NULL);
	fx->greeting_path = g_build_filename(fx->dir, "greeting.sock", NULL);

	hello = far_greeter_new("hello", fx->hello_path, TRUE);
	world = far_greeter_new("world", fx->world_path, FALSE);
	fx->service = ms_greeting_service_new(hello, world);
	fx->world_adapter = world;
	fx->greeting = greeting_fx_server_new(fx, fx->greeting_path);
	ms_greeting_handler_register(fx->greeting, fx->service);
	fx->client = ms_test_session_new(fx->greeting_path);
}

void
greeting_fx_start_real_upstreams(GreetingFixture *fx)
{
	fx->hello = greeting_fx_upstream_new(fx, fx->hello_path, ms_hello_service_new());
	fx->world = greeting_fx_upstream_new(fx, fx->world_path, ms_world_service_new());
}

void
greeting_fx_start_world_slow(GreetingFixture *fx)
{
	MsFakeGreeter *slow =
		ms_fake_greeter_new(ms_world_service_new(), 60000, MS_FAKE_GREETER_NO_ERROR);

	fx->hello = greeting_fx_upstream_new(fx, fx->hello_path, ms_hello_service_new());
	fx->world = greeting_fx_upstream_new(fx, fx->world_path, MS_GREETER(slow));
}

static void
server_free(SoupServer **server)
{
	if (*server == NULL)
		return;
	soup_server_disconnect(*server);
	g_clear_object(server);
}

void
greeting_fx_teardown(GreetingFixture *fx, gconstpointer data)
{
	server_free(&fx->greeting);
	server_free(&fx->hello);
	server_free(&fx->world);
	g_clear_object(&fx->service);
	soup_session_abort(fx->client);
	g_clear_object(&fx->client);
	while (g_main_context_iteration(NULL, FALSE))
		;
	ms_test_dir_remove(fx->dir);
	g_free(fx->hello_path);
	g_free(fx->world_path);
	g_free(fx->greeting_path);
	g_free(fx->dir);
	g_free(fx->hello_language);
	g_free(fx->hello_request_id);
}

MsTestResponse *
greeting_fx_get(GreetingFixture *fx, const char *path, const char *language, const char *request_id)
{
	const char *headers[5] = { NULL };
	guint n = 0;

	if (language != NULL) {
		headers[n++] = "Accept-Language";
		headers[n++] = language;
	}
	if (request_id != NULL) {
		headers[n++] = "X-Request-ID";
		headers[n++] = request_id;
	}
	return ms_test_request(fx->client, "GET", path, headers, NULL);
}

JsonObject *
greeting_fx_part_of(JsonObject *body, const char *name)
{
	JsonObject *parts = json_object_get_object_member(body, "parts");

	g_assert_nonnull(parts);
	g_assert_true(json_object_has_member(parts, name));
	return json_object_get_object_member(parts, name);
}

void
greeting_fx_assert_part_message(JsonObject *body, const char *name, const char *message)
{
	JsonObject *part = greeting_fx_part_of(body, name);

	g_assert_cmpstr(json_object_get_string_member(part, "message"), ==, message);
	g_assert_false(json_object_has_member(part, "status"));
}

void
greeting_fx_assert_part_problem(JsonObject *body, const char *name, gint64 status, const char *type)
{
	JsonObject *part = greeting_fx_part_of(body, name);
	g_autofree char *type_uri = g_strconcat("urn:microsoup:problem:", type, NULL);

	g_assert_false(json_object_has_member(part, "message"));
	g_assert_cmpint(json_object_get_int_member(part, "status"), ==, status);
	g_assert_cmpstr(json_object_get_string_member(part, "type"), ==, type_uri);
	g_assert_nonnull(json_object_get_string_member(part, "title"));
	g_assert_nonnull(json_object_get_string_member(part, "detail"));
}

void
greeting_fx_assert_content_type(MsTestResponse *response, const char *expected)
{
	g_assert_cmpstr(soup_message_headers_get_content_type(response->headers, NULL),
			==,
			expected);
}
