#include "config.h"

#include "ms-greeter-handler.h"

#include "common/ms-i18n.h"
#include "common/ms-language.h"
#include "common/ms-problem.h"
#include "common/ms-request-id.h"
#include "common/ms-response.h"
#include "handlers/ms-handler-util.h"

/*
 * One inbound HTTP adapter for any greeter: GET /<greeter name>[?name=N] →
 * {"message": "..."}. hello, world and goodbye are served by this same code.
 */

typedef struct {
	SoupServerMessage *msg;
} GreetCall;

static void
greet_call_free(GreetCall *call)
{
	g_object_unref(call->msg);
	g_free(call);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC(GreetCall, greet_call_free)

static void
send_greeting(SoupServerMessage *msg, const char *message)
{
	g_autoptr(JsonBuilder) builder = json_builder_new();
	g_autoptr(JsonNode) body = NULL;

	json_builder_begin_object(builder);
	json_builder_set_member_name(builder, "message");
	json_builder_add_string_value(builder, message);
	json_builder_end_object(builder);
	body = json_builder_get_root(builder);
	ms_response_send_json(msg, SOUP_STATUS_OK, NULL, body);
}

/* @message, or the problem @error is, when @message is %NULL */
static void
send_answer(SoupServerMessage *msg, const char *message, const GError *error)
{
	if (message != NULL)
		send_greeting(msg, message);
	else if (g_error_matches(error, MS_GREETER_ERROR, MS_GREETER_ERROR_INVALID_NAME))
		ms_problem_send(msg,
				SOUP_STATUS_BAD_REQUEST,
				"invalid_name",
				N_("Invalid name"),
				error->message);
	else
		ms_problem_send(msg,
				SOUP_STATUS_BAD_GATEWAY,
				"greeter_failed",
				N_("The greeting could not be made"),
				error->message);
}

static void
on_greeted(GObject *source, GAsyncResult *result, gpointer user_data)
{
	g_autoptr(GreetCall) call = user_data;
	g_autoptr(GError) error = NULL;
	g_autofree char *message = NULL;

	message = ms_greeter_greet_finish(MS_GREETER(source), result, &error);
	send_answer(call->msg, message, error);
	soup_server_message_unpause(call->msg);
}

static void
greeter_handler(SoupServer *server,
		SoupServerMessage *msg,
		const char *path,
		GHashTable *query,
		gpointer user_data)
{
	MsGreeter *greeter = MS_GREETER(user_data);
	const char *name = NULL;
	GreetCall *call;

	if (!ms_handler_check_path(msg, path, ms_greeter_get_name(greeter)) ||
	    !ms_handler_check_method(msg, "GET, HEAD"))
		return;
	if (!ms_handler_check_query(msg, query, ms_greeter_accepts_name(greeter) ? "name" : NULL))
		return;
	if (query != NULL)
		name = g_hash_table_lookup(query, "name");

	/*
	 * A near greeter's answer is there at once: answered in this callback, the
	 * message is neither paused nor resumed, and its answer waits for no main loop
	 * turn (a GTask completes in the next one).
	 */
	if (ms_greeter_answers_at_once(greeter)) {
		g_autoptr(GError) error = NULL;
		g_autofree char *message = ms_greeter_greet(greeter,
							    name,
							    ms_language_for_message(msg),
							    ms_request_id_get(msg),
							    &error);

		send_answer(msg, message, error);
		return;
	}
	call = g_new0(GreetCall, 1);
	call->msg = g_object_ref(msg);
	soup_server_message_pause(msg);
	ms_greeter_greet_async(greeter,
			       name,
			       ms_language_for_message(msg),
			       ms_request_id_get(msg),
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

	soup_server_add_handler(server,
				path,
				greeter_handler,
				g_object_ref(greeter),
				g_object_unref);
	ms_handler_register_not_found(server);
}
