/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "ms-calculator-handler.h"

#include "common/ms-i18n.h"
#include "common/ms-language.h"
#include "common/ms-log.h"
#include "common/ms-problem.h"
#include "common/ms-response.h"
#include "common/ms-soup-runtime-server.h"
#include "handlers/ms-calc-request.h"
#include "handlers/ms-handler-util.h"

/*
 * The calculator's HTTP adapter: POST /calc/{add,sub,mul,div}, POST /calc/eval,
 * GET and DELETE /calc/history. Bodies are written by hand rather than with
 * JsonBuilder because json-glib writes every double with 17 digits and a ".0"
 * (3.0, 0.10000000000000001): results are JSON numbers in their shortest exact form.
 */

static const char *const binary_operations[] = { "add", "sub", "mul", "div", NULL };
static const char *const history_keys[] = { "limit", "before", NULL };

typedef struct {
	GQuark domain;
	int code;
	guint status;
	const char *type;
	const char *title;
} ErrorMapping;

static const ErrorMapping error_mappings[] = {
	{ 0, MS_CALC_REQUEST_ERROR_NOT_JSON, 400, "invalid_json", N_("Invalid JSON") },
	{ 0, MS_CALC_REQUEST_ERROR_NOT_OBJECT, 400, "invalid_body", N_("Invalid request body") },
	{ 0, MS_CALC_REQUEST_ERROR_MISSING_FIELD, 400, "missing_field", N_("Missing field") },
	{ 0, MS_CALC_REQUEST_ERROR_WRONG_TYPE, 400, "wrong_type", N_("Wrong field type") },
	{ 0, MS_CALC_REQUEST_ERROR_UNKNOWN_FIELD, 400, "unknown_field", N_("Unknown field") },
	{ 0, MS_CALC_REQUEST_ERROR_OUT_OF_RANGE, 400, "out_of_range", N_("Number out of range") },
	{ 0, MS_CALC_REQUEST_ERROR_DUPLICATE_FIELD, 400, "duplicate_field", N_("Duplicate field") },
	{ 1, MS_CALC_ERROR_SYNTAX, 400, "syntax_error", N_("Syntax error") },
	{ 1, MS_CALC_ERROR_TOO_LONG, 400, "expression_too_long", N_("Expression too long") },
	{ 1, MS_CALC_ERROR_TOO_DEEP, 400, "expression_too_deep", N_("Expression too deep") },
	{ 1, MS_CALC_ERROR_DIVISION_BY_ZERO, 422, "division_by_zero", N_("Division by zero") },
	{ 1, MS_CALC_ERROR_OVERFLOW, 422, "overflow", N_("Overflow") },
	{ 1, MS_CALC_ERROR_NON_FINITE, 422, "non_finite", N_("Result is not a finite number") },
};

static GQuark
mapping_domain(const ErrorMapping *mapping)
{
	return mapping->domain == 0 ? MS_CALC_REQUEST_ERROR : MS_CALC_ERROR;
}

static void
send_store_error(SoupServerMessage *msg, const GError *error)
{
	const char *language = ms_language_for_message(msg);
	const char *detail = N_("the history database cannot be used");

	ms_warning("history store: %s", error->message);
	if (error->code == MS_HISTORY_STORE_ERROR_BUSY) {
		detail = N_("the history database is busy; try again shortly");
		soup_message_headers_replace(soup_server_message_get_response_headers(msg),
					     "Retry-After",
					     "1");
	} else if (error->code == MS_HISTORY_STORE_ERROR_FULL) {
		detail = N_("the history database is full");
	}
	ms_problem_send(msg,
			SOUP_STATUS_SERVICE_UNAVAILABLE,
			"history_unavailable",
			N_("History unavailable"),
			ms_i18n_gettext(language, detail));
}

/* @error's message is already in the client's language */
static void
send_error(SoupServerMessage *msg, const GError *error)
{
	if (error->domain == MS_HISTORY_STORE_ERROR) {
		send_store_error(msg, error);
		return;
	}
	for (guint i = 0; i < G_N_ELEMENTS(error_mappings); i++) {
		const ErrorMapping *m = &error_mappings[i];
		if (error->domain == mapping_domain(m) && error->code == m->code) {
			ms_problem_send(msg, m->status, m->type, m->title, error->message);
			return;
		}
	}
	ms_warning("unexpected error: %s", error->message);
	ms_problem_send(msg,
			SOUP_STATUS_INTERNAL_SERVER_ERROR,
			"internal_error",
			N_("Internal error"),
			NULL);
}

static void
json_append_string(GString *out, const char *value)
{
	g_autoptr(JsonNode) node = json_node_init_string(json_node_alloc(), value);
	g_autofree char *text = json_to_string(node, FALSE);

	g_string_append(out, text);
}

static void
json_append_number(GString *out, double value)
{
	g_autofree char *text = ms_number_format(value);

	g_string_append(out, text);
}

static void
send_json_text(SoupServerMessage *msg, GString *body)
{
	gsize length = body->len;

	soup_server_message_set_status(msg, SOUP_STATUS_OK, NULL);
	soup_server_message_set_response(msg,
					 MS_CONTENT_TYPE_JSON,
					 SOUP_MEMORY_TAKE,
					 g_string_free(body, FALSE),
					 length);
}

/* Returns: the caller's name, or NULL after answering 400 */
static const char *
user_get(SoupServerMessage *msg)
{
	SoupMessageHeaders *headers = soup_server_message_get_request_headers(msg);
	const char *user = soup_message_headers_get_one(headers, MS_CALC_USER_HEADER);

	if (user == NULL || *user == '\0')
		return MS_CALC_ANONYMOUS_USER;
	if (g_utf8_validate(user, -1, NULL) && g_utf8_strlen(user, -1) <= MS_CALC_USER_MAX_CHARS) {
		gboolean printable = TRUE;
		for (const char *p = user; *p != '\0' && printable; p = g_utf8_next_char(p))
			printable = !g_unichar_iscntrl(g_utf8_get_char(p));
		if (printable)
			return user;
	}
	ms_problem_sendf(msg,
			 SOUP_STATUS_BAD_REQUEST,
			 "invalid_user",
			 N_("Invalid user"),
			 N_("the %s header must be UTF-8 text of at most %d characters"),
			 MS_CALC_USER_HEADER,
			 MS_CALC_USER_MAX_CHARS);
	return NULL;
}

/* Returns: TRUE when the request declares a JSON body, else answers 415 */
static gboolean
check_content_type(SoupServerMessage *msg)
{
	SoupMessageHeaders *headers = soup_server_message_get_request_headers(msg);
	g_autoptr(GHashTable) params = NULL;
	const char *type = soup_message_headers_get_content_type(headers, &params);
	const char *charset = params != NULL ? g_hash_table_lookup(params, "charset") : NULL;

	if (type != NULL && g_ascii_strcasecmp(type, "application/json") == 0 &&
	    (charset == NULL || g_ascii_strcasecmp(charset, "utf-8") == 0))
		return TRUE;
	ms_problem_sendf(msg,
			 SOUP_STATUS_UNSUPPORTED_MEDIA_TYPE,
			 "unsupported_media_type",
			 N_("Unsupported media type"),
			 N_("send the body as %s"),
			 "Content-Type: application/json; charset=utf-8");
	return FALSE;
}

static void
send_too_large(SoupServerMessage *msg)
{
	soup_message_headers_replace(soup_server_message_get_response_headers(msg),
				     "Connection",
				     "close");
	ms_problem_sendf(msg,
			 SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE,
			 "body_too_large",
			 N_("Request body too large"),
			 N_("the body must be at most %d bytes"),
			 MS_CALC_REQUEST_MAX_BODY);
}

/* Returns: the body, or NULL after answering 413 */
static GBytes *
body_get(SoupServerMessage *msg)
{
	g_autoptr(GBytes) body =
		soup_message_body_flatten(soup_server_message_get_request_body(msg));

	if (g_bytes_get_size(body) > MS_CALC_REQUEST_MAX_BODY) {
		send_too_large(msg);
		return NULL;
	}
	return g_steal_pointer(&body);
}

static void
handle_binary(SoupServerMessage *msg, MsCalculatorService *service, const char *name)
{
	const char *language = ms_language_for_message(msg);
	const char *user = user_get(msg);
	g_autoptr(GBytes) body = NULL;
	g_autoptr(GError) error = NULL;
	MsCalcOperation operation = MS_CALC_OPERATION_ADD;
	double a = 0, b = 0, result = 0;
	GString *out;

	if (user == NULL || (body = body_get(msg)) == NULL)
		return;
	ms_calc_operation_from_name(name, &operation);
	if (!ms_calc_request_decode_operands(g_bytes_get_data(body, NULL),
					     g_bytes_get_size(body),
					     language,
					     &a,
					     &b,
					     &error) ||
	    !ms_calculator_service_apply(service,
					 user,
					 operation,
					 a,
					 b,
					 language,
					 &result,
					 &error)) {
		send_error(msg, error);
		return;
	}
	out = g_string_new("{\"operation\":");
	json_append_string(out, name);
	g_string_append(out, ",\"a\":");
	json_append_number(out, a);
	g_string_append(out, ",\"b\":");
	json_append_number(out, b);
	g_string_append(out, ",\"result\":");
	json_append_number(out, result);
	g_string_append_c(out, '}');
	send_json_text(msg, out);
}

static void
handle_eval(SoupServerMessage *msg, MsCalculatorService *service)
{
	const char *language = ms_language_for_message(msg);
	const char *user = user_get(msg);
	g_autoptr(GBytes) body = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree char *expression = NULL;
	double result = 0;
	GString *out;

	if (user == NULL || (body = body_get(msg)) == NULL)
		return;
	expression = ms_calc_request_decode_expression(g_bytes_get_data(body, NULL),
						       g_bytes_get_size(body),
						       language,
						       &error);
	if (expression == NULL ||
	    !ms_calculator_service_evaluate(service, user, expression, language, &result, &error)) {
		send_error(msg, error);
		return;
	}
	out = g_string_new("{\"expression\":");
	json_append_string(out, expression);
	g_string_append(out, ",\"result\":");
	json_append_number(out, result);
	g_string_append_c(out, '}');
	send_json_text(msg, out);
}

static void
entry_append(GString *out, const MsHistoryEntry *entry)
{
	g_autoptr(GDateTime) seconds =
		g_date_time_new_from_unix_utc(entry->created_at / G_USEC_PER_SEC);
	g_autoptr(GDateTime) created =
		seconds != NULL ? g_date_time_add(seconds, entry->created_at % G_USEC_PER_SEC)
				: NULL;
	g_autofree char *created_text =
		created != NULL ? g_date_time_format_iso8601(created) : NULL;

	g_string_append_printf(out, "{\"id\":%" G_GINT64_FORMAT ",\"expression\":", entry->id);
	json_append_string(out, entry->expression);
	g_string_append(out, ",\"result\":");
	json_append_number(out, entry->result);
	g_string_append(out, ",\"user\":");
	json_append_string(out, entry->user);
	g_string_append(out, ",\"created_at\":");
	/* a time outside GDateTime's years 1-9999 can only come from a damaged store */
	if (created_text != NULL)
		json_append_string(out, created_text);
	else
		g_string_append(out, "null");
	g_string_append_c(out, '}');
}

/* Returns: FALSE after answering 400 for a value outside @min..@max */
static gboolean
query_number_get(SoupServerMessage *msg,
		 GHashTable *query,
		 const char *key,
		 guint64 min,
		 guint64 max,
		 guint64 *value)
{
	const char *text = query != NULL ? g_hash_table_lookup(query, key) : NULL;
	g_autofree char *safe = NULL;
	g_autofree char *min_text = NULL;
	g_autofree char *max_text = NULL;

	if (text == NULL)
		return TRUE;
	if (g_ascii_string_to_unsigned(text, 10, min, max, value, NULL))
		return TRUE;
	safe = g_utf8_make_valid(text, -1);
	min_text = g_strdup_printf("%" G_GUINT64_FORMAT, min);
	max_text = g_strdup_printf("%" G_GUINT64_FORMAT, max);
	ms_problem_sendf(msg,
			 SOUP_STATUS_BAD_REQUEST,
			 "invalid_parameter",
			 N_("Invalid query parameter"),
			 N_("%s must be a whole number from %s to %s, not “%s”"),
			 key,
			 min_text,
			 max_text,
			 safe);
	return FALSE;
}

static void
handle_history_get(SoupServerMessage *msg, MsCalculatorService *service, GHashTable *query)
{
	const char *user = user_get(msg);
	g_autoptr(GPtrArray) entries = NULL;
	g_autoptr(GError) error = NULL;
	guint64 limit = MS_HISTORY_LIMIT_DEFAULT;
	guint64 before = 0;
	gint64 next_before = 0;
	GString *out;

	if (user == NULL || !ms_handler_check_query_keys(msg, query, history_keys) ||
	    !query_number_get(msg, query, "limit", 1, MS_HISTORY_LIMIT_MAX, &limit) ||
	    !query_number_get(msg, query, "before", 1, G_MAXINT64, &before))
		return;
	entries = ms_calculator_service_history(service,
						user,
						(gint64)before,
						(guint)limit,
						&next_before,
						&error);
	if (entries == NULL) {
		send_error(msg, error);
		return;
	}
	out = g_string_new("{\"items\":[");
	for (guint i = 0; i < entries->len; i++) {
		if (i > 0)
			g_string_append_c(out, ',');
		entry_append(out, g_ptr_array_index(entries, i));
	}
	if (next_before > 0)
		g_string_append_printf(out, "],\"next_before\":%" G_GINT64_FORMAT "}", next_before);
	else
		g_string_append(out, "],\"next_before\":null}");
	send_json_text(msg, out);
}

static void
handle_history_delete(SoupServerMessage *msg, MsCalculatorService *service)
{
	const char *user = user_get(msg);
	g_autoptr(GError) error = NULL;
	guint64 deleted = 0;
	GString *out;

	if (user == NULL)
		return;
	if (!ms_calculator_service_clear(service, user, &deleted, &error)) {
		send_error(msg, error);
		return;
	}
	out = g_string_new(NULL);
	g_string_append_printf(out, "{\"deleted\":%" G_GUINT64_FORMAT "}", deleted);
	send_json_text(msg, out);
}

static void
calculator_handler(SoupServer *server,
		   SoupServerMessage *msg,
		   const char *path,
		   GHashTable *query,
		   gpointer user_data)
{
	MsCalculatorService *service = MS_CALCULATOR_SERVICE(user_data);
	const char *name = g_str_has_prefix(path, "/calc/") ? path + strlen("/calc/") : "";

	if (g_strv_contains(binary_operations, name) || g_strcmp0(name, "eval") == 0) {
		if (!ms_handler_check_method(msg, "POST") ||
		    !ms_handler_check_query(msg, query, NULL) || !check_content_type(msg))
			return;
		if (g_strcmp0(name, "eval") == 0)
			handle_eval(msg, service);
		else
			handle_binary(msg, service, name);
		return;
	}
	if (g_strcmp0(name, "history") == 0) {
		if (!ms_handler_check_method(msg, "GET, HEAD, DELETE"))
			return;
		if (g_strcmp0(soup_server_message_get_method(msg), "DELETE") == 0) {
			if (ms_handler_check_query(msg, query, NULL))
				handle_history_delete(msg, service);
		} else {
			handle_history_get(msg, service, query);
		}
		return;
	}
	ms_handler_send_not_found(msg, path);
}

/*
 * A chunked body has no length up front: once it has grown past the limit, what
 * was read is dropped and the rest is read without keeping it, so memory stays
 * bounded; the 413 goes out when the body has been read.
 */
static void
on_got_chunk(SoupServerMessage *msg, GBytes *chunk, gpointer user_data)
{
	SoupServer *server = user_data;
	SoupMessageBody *body = soup_server_message_get_request_body(msg);

	if (soup_server_message_get_status(msg) != 0 || body->length <= MS_CALC_REQUEST_MAX_BODY)
		return;
	soup_message_body_set_accumulate(body, FALSE);
	soup_message_body_truncate(body);
	/* no handler runs for an answered request: it is taken in here */
	ms_soup_server_take_request(server, msg);
	send_too_large(msg);
}

/* refuses a declared oversized body before libsoup reads it, bounds an undeclared one */
static void
early_handler(SoupServer *server,
	      SoupServerMessage *msg,
	      const char *path,
	      GHashTable *query,
	      gpointer user_data)
{
	SoupMessageHeaders *headers = soup_server_message_get_request_headers(msg);

	if (soup_message_headers_get_encoding(headers) != SOUP_ENCODING_CONTENT_LENGTH) {
		g_signal_connect(msg, "got-chunk", G_CALLBACK(on_got_chunk), server);
		return;
	}
	if (soup_message_headers_get_content_length(headers) > MS_CALC_REQUEST_MAX_BODY) {
		/* no handler runs for an answered request: it is taken in here */
		ms_soup_server_take_request(server, msg);
		send_too_large(msg);
	}
}

/**
 * ms_calculator_handler_register:
 *
 * Serves @service under /calc; the server keeps a reference to it.
 */
void
ms_calculator_handler_register(SoupServer *server, MsCalculatorService *service)
{
	soup_server_add_early_handler(server, "/calc", early_handler, NULL, NULL);
	ms_soup_server_add_handler(server,
				   "/calc",
				   calculator_handler,
				   g_object_ref(service),
				   g_object_unref);
	ms_handler_register_not_found(server);
}
