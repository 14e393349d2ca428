/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "ms-greeter-handler.h"

#include "common/ms-i18n.h"
#include "common/ms-language.h"
#include "common/ms-log.h"
#include "common/ms-problem.h"
#include "common/ms-response.h"
#include "common/ms-soup-runtime-server.h"
#include "handlers/ms-handler-util.h"

/*
 * One inbound HTTP adapter for any greeter: GET /<greeter name>[?name=N] →
 * {"message": "..."}. hello, world and goodbye are served by this same code.
 */

/*
 * What one registration serves: a greeter, and the JSON of its nameless answers.
 * Reference counted: a far greeter's call outlives a server that goes away.
 */
typedef struct {
	MsGreeter *greeter;
	GHashTable *nameless_bodies; /* message → GBytes */
	/*
	 * what the greeter says of itself, fixed for its life: asked once here rather
	 * than through the interface on every request
	 */
	const char *name;
	const char *allowed_query_key; /* "name", or NULL when names make no difference */
	gboolean answers_at_once;
} GreeterRoute;

/*
 * Without a name, a greeter says one phrase per language: that JSON is made once
 * and then shared. The bound keeps a greeter that says many things from growing
 * the table; what does not fit is serialized each time.
 */
#define MS_GREETER_NAMELESS_BODIES_MAX 32

typedef struct {
	SoupServerMessage *msg;
	GreeterRoute *route;
	gboolean named;
} GreetCall;

static void
greeter_route_clear(GreeterRoute *route)
{
	g_object_unref(route->greeter);
	g_hash_table_unref(route->nameless_bodies);
}

static void
greeter_route_release(GreeterRoute *route)
{
	g_rc_box_release_full(route, (GDestroyNotify)greeter_route_clear);
}

static void
greet_call_free(GreetCall *call)
{
	g_object_unref(call->msg);
	greeter_route_release(call->route);
	g_free(call);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC(GreetCall, greet_call_free)

static GBytes *
greeting_json(const char *message)
{
	g_autoptr(JsonBuilder) builder = json_builder_new();
	g_autoptr(JsonNode) body = NULL;

	json_builder_begin_object(builder);
	json_builder_set_member_name(builder, "message");
	json_builder_add_string_value(builder, message);
	json_builder_end_object(builder);
	body = json_builder_get_root(builder);
	return ms_response_json_bytes(body);
}

static void
send_greeting(GreeterRoute *route, SoupServerMessage *msg, const char *message, gboolean named)
{
	GBytes *made = named ? NULL : g_hash_table_lookup(route->nameless_bodies, message);
	g_autoptr(GBytes) body = NULL;

	if (made != NULL) {
		ms_response_send_json_bytes(msg, SOUP_STATUS_OK, NULL, made);
		return;
	}
	body = greeting_json(message);
	if (!named && g_hash_table_size(route->nameless_bodies) < MS_GREETER_NAMELESS_BODIES_MAX)
		g_hash_table_insert(route->nameless_bodies, g_strdup(message), g_bytes_ref(body));
	ms_response_send_json_bytes(msg, SOUP_STATUS_OK, NULL, body);
}

/*
 * A far greeter failed. Its error says what happened in English, for the log; the
 * client reads the same in its language.
 */
static void
send_failure(GreeterRoute *route, SoupServerMessage *msg, const GError *error)
{
	const char *title = N_("The greeting could not be made");

	ms_message("%s: %s", route->name, error->message);
	if (g_error_matches(error, MS_GREETER_ERROR, MS_GREETER_ERROR_TIMED_OUT))
		ms_problem_sendf(msg,
				 SOUP_STATUS_BAD_GATEWAY,
				 "greeter_failed",
				 title,
				 N_("the %s service did not answer in time"),
				 route->name);
	else if (g_error_matches(error, MS_GREETER_ERROR, MS_GREETER_ERROR_UNAVAILABLE))
		ms_problem_sendf(msg,
				 SOUP_STATUS_BAD_GATEWAY,
				 "greeter_failed",
				 title,
				 N_("the %s service could not be reached"),
				 route->name);
	else
		ms_problem_sendf(msg,
				 SOUP_STATUS_BAD_GATEWAY,
				 "greeter_failed",
				 title,
				 N_("the %s service answered something unusable"),
				 route->name);
}

/* @message, or the problem @error is, when @message is %NULL */
static void
send_answer(GreeterRoute *route,
	    SoupServerMessage *msg,
	    const char *message,
	    gboolean named,
	    const GError *error)
{
	if (message != NULL)
		send_greeting(route, msg, message, named);
	else if (g_error_matches(error, MS_GREETER_ERROR, MS_GREETER_ERROR_INVALID_NAME))
		ms_problem_send(msg,
				SOUP_STATUS_BAD_REQUEST,
				"invalid_name",
				N_("Invalid name"),
				error->message);
	else
		send_failure(route, msg, error);
}

static void
on_greeted(GObject *source, GAsyncResult *result, gpointer user_data)
{
	g_autoptr(GreetCall) call = user_data;
	g_autoptr(GError) error = NULL;
	g_autofree char *message = NULL;

	message = ms_greeter_greet_finish(MS_GREETER(source), result, &error);
	send_answer(call->route, call->msg, message, call->named, error);
	soup_server_message_unpause(call->msg);
}

static void
greeter_handler(SoupServer *server,
		SoupServerMessage *msg,
		const char *path,
		GHashTable *query,
		gpointer user_data)
{
	GreeterRoute *route = user_data;
	MsGreeter *greeter = route->greeter;
	const char *name = NULL;
	GreetCall *call;

	/*
	 * nearly every request is a GET, and libsoup interns the method: a pointer
	 * comparison spares it the parse of the Allow list
	 */
	if (!ms_handler_check_path(msg, path, route->name) ||
	    (soup_server_message_get_method(msg) != SOUP_METHOD_GET &&
	     !ms_handler_check_method(msg, "GET, HEAD")))
		return;
	if (!ms_handler_check_query(msg, query, route->allowed_query_key))
		return;
	if (query != NULL)
		name = g_hash_table_lookup(query, "name");

	/*
	 * A near greeter's answer is there at once: answered in this callback, the
	 * message is neither paused nor resumed, and its answer waits for no main loop
	 * turn (a GTask completes in the next one).
	 */
	if (route->answers_at_once) {
		g_autoptr(GError) error = NULL;
		g_autofree char *message =
			ms_greeter_greet(greeter,
					 name,
					 ms_language_for_message(msg),
					 ms_soup_server_get_request_id(server, msg),
					 &error);

		send_answer(route, msg, message, name != NULL, error);
		return;
	}
	call = g_new0(GreetCall, 1);
	call->msg = g_object_ref(msg);
	call->route = g_rc_box_acquire(route);
	call->named = name != NULL;
	soup_server_message_pause(msg);
	ms_greeter_greet_async(greeter,
			       name,
			       ms_language_for_message(msg),
			       ms_soup_server_get_request_id(server, msg),
			       NULL,
			       on_greeted,
			       call);
}

/**
 * ms_greeter_handler_register:
 *
 * Serves @greeter at /<its name>; the server keeps a reference to it.
 */
void
ms_greeter_handler_register(SoupServer *server, MsGreeter *greeter)
{
	g_autofree char *path = g_strconcat("/", ms_greeter_get_name(greeter), NULL);
	GreeterRoute *route = g_rc_box_new0(GreeterRoute);

	route->greeter = g_object_ref(greeter);
	route->name = ms_greeter_get_name(greeter);
	route->allowed_query_key = ms_greeter_accepts_name(greeter) ? "name" : NULL;
	route->answers_at_once = ms_greeter_answers_at_once(greeter);
	route->nameless_bodies = g_hash_table_new_full(g_str_hash,
						       g_str_equal,
						       g_free,
						       (GDestroyNotify)g_bytes_unref);
	ms_soup_server_add_handler(server,
				   path,
				   greeter_handler,
				   route,
				   (GDestroyNotify)greeter_route_release);
	ms_handler_register_not_found(server);
}
