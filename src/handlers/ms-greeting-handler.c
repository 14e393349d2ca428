/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "ms-greeting-handler.h"

#include "common/ms-i18n.h"
#include "common/ms-language.h"
#include "common/ms-log.h"
#include "common/ms-problem.h"
#include "common/ms-request-id.h"
#include "common/ms-response.h"
#include "common/ms-soup-runtime-server.h"
#include "handlers/ms-handler-util.h"

/*
 * GET /greeting[?name=N]: the greeting service's answer as JSON. Every part appears
 * under "parts", as {"message": ...} or as the problem that kept it out; the answer is
 * 200 while any part answered, and 502 when none did (an aggregation).
 */

typedef struct {
	MsGreeterError code;
	guint status;
	const char *type;
	const char *title;  /* msgid */
	const char *detail; /* msgid with one %s: the part's name */
} PartProblem;

static const PartProblem part_problems[] = {
	{ MS_GREETER_ERROR_UNAVAILABLE,
	  SOUP_STATUS_BAD_GATEWAY,
	  "unavailable",
	  N_("Part unavailable"),
	  N_("the %s service could not be reached") },
	{ MS_GREETER_ERROR_TIMED_OUT,
	  SOUP_STATUS_GATEWAY_TIMEOUT,
	  "timed_out",
	  N_("Part timed out"),
	  N_("the %s service did not answer in time") },
	{ MS_GREETER_ERROR_BAD_RESPONSE,
	  SOUP_STATUS_BAD_GATEWAY,
	  "bad_response",
	  N_("Bad answer from a part"),
	  N_("the %s service answered something unusable") },
};

static const PartProblem *
part_problem_for_error(const GError *error)
{
	for (guint i = 0; i < G_N_ELEMENTS(part_problems); i++) {
		if (g_error_matches(error, MS_GREETER_ERROR, part_problems[i].code))
			return &part_problems[i];
	}
	/* whatever else kept a part from answering, it was not reachable as a part */
	return &part_problems[0];
}

static JsonNode *
part_problem_new(MsGreetingPart *part, const char *language)
{
	const PartProblem *problem = part_problem_for_error(part->error);

	return ms_problem_new_translated(language,
					 problem->status,
					 problem->type,
					 problem->title,
					 problem->detail,
					 part->name);
}

static void
part_log_failure(SoupServerMessage *msg, MsGreetingPart *part)
{
	const MsLogField fields[] = {
		{ "REQUEST_ID", ms_request_id_get(msg) },
		{ "GREETING_PART", part->name },
	};

	/*
	 * the client sees a translated summary; the cause is for the journal. a notice,
	 * not a warning: an upstream fault that the answer already reports
	 */
	ms_log_fields(G_LOG_LEVEL_MESSAGE,
		      fields,
		      G_N_ELEMENTS(fields),
		      "greeting part %s failed: %s",
		      part->name,
		      part->error->message);
}

/* {"hello": {"message": ...}, "world": {problem}} */
static JsonNode *
parts_new(GPtrArray *parts, const char *language)
{
	g_autoptr(JsonBuilder) builder = json_builder_new_immutable();

	json_builder_begin_object(builder);
	for (guint i = 0; i < parts->len; i++) {
		MsGreetingPart *part = g_ptr_array_index(parts, i);

		json_builder_set_member_name(builder, part->name);
		if (part->message == NULL) {
			json_builder_add_value(builder, part_problem_new(part, language));
			continue;
		}
		json_builder_begin_object(builder);
		json_builder_set_member_name(builder, "message");
		json_builder_add_string_value(builder, part->message);
		json_builder_end_object(builder);
	}
	json_builder_end_object(builder);
	return json_builder_get_root(builder);
}

static void
send_greeting(SoupServerMessage *msg, MsGreetingResult *result)
{
	const char *language = ms_language_for_message(msg);
	g_autoptr(JsonBuilder) builder = json_builder_new_immutable();
	g_autoptr(JsonNode) body = NULL;

	json_builder_begin_object(builder);
	json_builder_set_member_name(builder, "message");
	json_builder_add_string_value(builder, result->message);
	json_builder_set_member_name(builder, "complete");
	json_builder_add_boolean_value(builder, result->complete);
	json_builder_set_member_name(builder, "parts");
	json_builder_add_value(builder, parts_new(result->parts, language));
	json_builder_end_object(builder);
	body = json_builder_get_root(builder);
	ms_response_send_json(msg, SOUP_STATUS_OK, NULL, body);
}

/* no part answered: a 502 problem that still says what became of each part */
static void
send_no_greeting(SoupServerMessage *msg, MsGreetingResult *result)
{
	const char *language = ms_language_for_message(msg);
	g_autoptr(JsonNode) problem = NULL;

	problem = ms_problem_new(SOUP_STATUS_BAD_GATEWAY,
				 "greeting_unavailable",
				 ms_i18n_gettext(language, N_("No part of the greeting answered")),
				 ms_i18n_gettext(language, N_("every part failed or was too late")),
				 g_uri_get_path(soup_server_message_get_uri(msg)),
				 ms_request_id_get(msg));
	json_object_set_member(json_node_get_object(problem),
			       "parts",
			       parts_new(result->parts, language));
	ms_response_send_json(msg, SOUP_STATUS_BAD_GATEWAY, MS_CONTENT_TYPE_PROBLEM, problem);
}

static void
on_greeted(GObject *source, GAsyncResult *res, gpointer user_data)
{
	/* the paused message itself is the call: nothing else needs carrying */
	g_autoptr(SoupServerMessage) msg = user_data;
	g_autoptr(MsGreetingResult) result = NULL;
	g_autoptr(GError) error = NULL;

	result = ms_greeting_service_greet_finish(MS_GREETING_SERVICE(source), res, &error);
	if (result == NULL &&
	    g_error_matches(error, MS_GREETER_ERROR, MS_GREETER_ERROR_INVALID_NAME)) {
		ms_problem_send(msg,
				SOUP_STATUS_BAD_REQUEST,
				"invalid_name",
				N_("Invalid name"),
				error->message);
	} else if (result == NULL) {
		ms_problem_send(msg,
				SOUP_STATUS_BAD_GATEWAY,
				"greeting_unavailable",
				N_("No part of the greeting answered"),
				error->message);
	} else {
		for (guint i = 0; i < result->parts->len; i++) {
			MsGreetingPart *part = g_ptr_array_index(result->parts, i);
			if (part->error != NULL)
				part_log_failure(msg, part);
		}
		if (result->message != NULL)
			send_greeting(msg, result);
		else
			send_no_greeting(msg, result);
	}
	soup_server_message_unpause(msg);
}

static void
greeting_handler(SoupServer *server,
		 SoupServerMessage *msg,
		 const char *path,
		 GHashTable *query,
		 gpointer user_data)
{
	MsGreetingService *service = MS_GREETING_SERVICE(user_data);
	const char *name = NULL;

	if (!ms_handler_check_path(msg, path, "greeting") ||
	    !ms_handler_check_method(msg, "GET, HEAD") ||
	    !ms_handler_check_query(msg, query, "name"))
		return;
	if (query != NULL)
		name = g_hash_table_lookup(query, "name");

	soup_server_message_pause(msg);
	ms_greeting_service_greet_async(service,
					name,
					ms_language_for_message(msg),
					ms_request_id_get(msg),
					NULL,
					on_greeted,
					g_object_ref(msg));
}

/**
 * ms_greeting_handler_register:
 *
 * Serves @service at /greeting; the server keeps a reference to it.
 */
void
ms_greeting_handler_register(SoupServer *server, MsGreetingService *service)
{
	ms_soup_server_add_handler(server,
				   "/greeting",
				   greeting_handler,
				   g_object_ref(service),
				   g_object_unref);
	ms_handler_register_not_found(server);
}
