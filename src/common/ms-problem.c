/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "ms-problem.h"

#include "ms-i18n.h"
#include "ms-language.h"
#include "ms-request-id.h"
#include "ms-request-target.h"
#include "ms-response.h"

/**
 * ms_problem_new:
 * @type: the short problem name, e.g. "division_by_zero"; becomes a URN
 * @title: (nullable): already translated
 * @detail: (nullable): already translated
 *
 * Returns: (transfer full): an RFC 9457 problem details object
 */
JsonNode *
ms_problem_new(guint status,
	       const char *type,
	       const char *title,
	       const char *detail,
	       const char *instance,
	       const char *request_id)
{
	g_autoptr(JsonBuilder) builder = json_builder_new();
	g_autofree char *type_uri = g_strconcat(MS_PROBLEM_TYPE_PREFIX, type, NULL);

	json_builder_begin_object(builder);
	json_builder_set_member_name(builder, "type");
	json_builder_add_string_value(builder, type_uri);
	json_builder_set_member_name(builder, "title");
	json_builder_add_string_value(builder,
				      title != NULL ? title : soup_status_get_phrase(status));
	json_builder_set_member_name(builder, "status");
	json_builder_add_int_value(builder, status);
	if (detail != NULL) {
		json_builder_set_member_name(builder, "detail");
		json_builder_add_string_value(builder, detail);
	}
	if (instance != NULL) {
		json_builder_set_member_name(builder, "instance");
		json_builder_add_string_value(builder, instance);
	}
	if (request_id != NULL) {
		json_builder_set_member_name(builder, "request_id");
		json_builder_add_string_value(builder, request_id);
	}
	json_builder_end_object(builder);
	return json_builder_get_root(builder);
}

/**
 * ms_problem_new_translated:
 * @language: the reader's language
 * @title: English, marked with N_()
 * @detail_format: English, marked with N_(), with one `%s` for @subject
 * @subject: what the problem is about, e.g. the part's name
 *
 * A problem object for embedding (an aggregate's failed part): no instance or
 * request id of its own, title and detail in @language. The formats come from
 * the callers' tables of problems, so they are checked by msgfmt, not here.
 *
 * Returns: (transfer full): the problem
 */
JsonNode *
ms_problem_new_translated(const char *language,
			  guint status,
			  const char *type,
			  const char *title,
			  const char *detail_format,
			  const char *subject)
{
	g_autofree char *detail = NULL;

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
	detail = g_strdup_printf(ms_i18n_gettext(language, detail_format), subject);
#pragma GCC diagnostic pop
	return ms_problem_new(status, type, ms_i18n_gettext(language, title), detail, NULL, NULL);
}

/**
 * ms_problem_new_for_request:
 * @language: the client's language
 * @title: English, marked with N_(); translated here
 * @detail: (nullable): already translated
 * @path: (nullable): the request path, client input
 * @request_id: (nullable): the request's id
 *
 * The problem object that answers a request: title in @language, the path as
 * `instance` and the request id.
 *
 * Returns: (transfer full): the problem
 */
JsonNode *
ms_problem_new_for_request(const char *language,
			   guint status,
			   const char *type,
			   const char *title,
			   const char *detail,
			   const char *path,
			   const char *request_id)
{
	/* the path is client input: JSON strings must be valid UTF-8 whatever it holds */
	g_autofree char *instance = path != NULL ? g_utf8_make_valid(path, -1) : NULL;

	return ms_problem_new(status,
			      type,
			      ms_i18n_gettext(language, title),
			      detail,
			      instance,
			      request_id);
}

/**
 * ms_problem_send:
 * @title: English, marked with N_(); translated here for the client's language
 * @detail: (nullable): already translated
 *
 * Answers @msg with a problem+json body carrying the request path and id.
 */
void
ms_problem_send(SoupServerMessage *msg,
		guint status,
		const char *type,
		const char *title,
		const char *detail)
{
	g_autoptr(JsonNode) problem = ms_problem_new_for_request(ms_language_for_message(msg),
								 status,
								 type,
								 title,
								 detail,
								 ms_request_target_path(msg),
								 ms_request_id_get(msg));

	ms_response_send_json(msg, status, MS_CONTENT_TYPE_PROBLEM, problem);
}

/**
 * ms_problem_sendf:
 * @detail_format: English printf format marked with N_(), translated before use
 */
void
ms_problem_sendf(SoupServerMessage *msg,
		 guint status,
		 const char *type,
		 const char *title,
		 const char *detail_format,
		 ...)
{
	const char *language = ms_language_for_message(msg);
	g_autofree char *detail = NULL;
	va_list args;

	va_start(args, detail_format);
	detail = ms_i18n_strdup_vprintf(language, detail_format, args);
	va_end(args);
	ms_problem_send(msg, status, type, title, detail);
}

/**
 * ms_problem_send_not_found:
 * @path: the requested path, client input
 *
 * Answers 404: there is nothing at @path.
 */
void
ms_problem_send_not_found(SoupServerMessage *msg, const char *path)
{
	/* the path is client input: keep the JSON valid whatever it holds */
	g_autofree char *safe_path = g_utf8_make_valid(path, -1);

	ms_problem_sendf(msg,
			 SOUP_STATUS_NOT_FOUND,
			 "not_found",
			 N_("Not found"),
			 N_("there is nothing at %s"),
			 safe_path);
}

/**
 * ms_problem_send_method_not_allowed:
 * @allowed: the Allow header value, e.g. "GET, HEAD"
 *
 * Answers 405 with Allow: the request's method is not one of @allowed.
 */
void
ms_problem_send_method_not_allowed(SoupServerMessage *msg, const char *allowed)
{
	soup_message_headers_replace(soup_server_message_get_response_headers(msg),
				     "Allow",
				     allowed);
	ms_problem_sendf(msg,
			 SOUP_STATUS_METHOD_NOT_ALLOWED,
			 "method_not_allowed",
			 N_("Method not allowed"),
			 N_("%s is not allowed here; use %s"),
			 soup_server_message_get_method(msg),
			 allowed);
}
