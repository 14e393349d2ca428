/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "ms-calc-request.h"

#include <json-glib/json-glib.h>
#include <math.h>

#include "common/ms-i18n.h"

/* G_DEFINE_QUARK makes the name a string: spaces would be part of it */
/* clang-format off */
G_DEFINE_QUARK(ms-calc-request-error-quark, ms_calc_request_error)
/* clang-format on */

/* the longest integer literal json-glib reads exactly: beyond it, it wraps gint64 */
#define MS_CALC_REQUEST_EXACT_DIGITS 15

/* a request error, in the language of whoever reads it */
#define request_error_set(error, code, language, ...) \
	ms_i18n_set_error((error), MS_CALC_REQUEST_ERROR, (code), (language), __VA_ARGS__)

/*
 * json-glib 1.6 reads an integer literal into a gint64 and wraps silently when it
 * does not fit (12345678901234567890 becomes negative). A JSON number is a number,
 * so long integer literals outside strings get ".0" appended and are read as
 * doubles, correctly rounded.
 */
static GString *
widen_long_integers(const char *data, gsize length, gboolean *escaped_nul)
{
	GString *out = g_string_sized_new(length + 16);
	gboolean in_string = FALSE;
	gsize i = 0;

	while (i < length) {
		char c = data[i];
		gsize start = i;
		gsize digits = 0;

		if (in_string) {
			g_string_append_c(out, c);
			/* C strings end at NUL: "1\u00002" would be read as "1" */
			if (c == '\\' && length - i >= 6 && memcmp(data + i + 1, "u0000", 5) == 0)
				*escaped_nul = TRUE;
			if (c == '\\' && i + 1 < length)
				g_string_append_c(out, data[++i]);
			else if (c == '"')
				in_string = FALSE;
			i++;
			continue;
		}
		if (c == '"') {
			in_string = TRUE;
			g_string_append_c(out, c);
			i++;
			continue;
		}
		if (c != '-' && !g_ascii_isdigit(c)) {
			g_string_append_c(out, c);
			i++;
			continue;
		}
		if (c == '-')
			i++;
		while (i < length && g_ascii_isdigit(data[i])) {
			i++;
			digits++;
		}
		g_string_append_len(out, data + start, (gssize)(i - start));
		if (digits > MS_CALC_REQUEST_EXACT_DIGITS &&
		    (i == length || (data[i] != '.' && data[i] != 'e' && data[i] != 'E')))
			g_string_append(out, ".0");
	}
	return out;
}

/* json-glib keeps the last of repeated members; a repeated field is an error here */
typedef struct {
	GHashTable *counts; /* JsonObject → members seen */
	char *duplicate;    /* the first repeated name */
} DuplicateCheck;

static void
on_object_member(JsonParser *parser, JsonObject *object, const char *name, gpointer user_data)
{
	DuplicateCheck *check = user_data;
	guint seen = GPOINTER_TO_UINT(g_hash_table_lookup(check->counts, object)) + 1;

	/* emitted after the member went in: more seen than held means one was replaced */
	g_hash_table_insert(check->counts, object, GUINT_TO_POINTER(seen));
	if (seen > json_object_get_size(object) && check->duplicate == NULL)
		check->duplicate = g_utf8_make_valid(name, -1);
}

static JsonObject *
decode_object(const char *data, gsize length, const char *language, GError **error)
{
	g_autoptr(JsonParser) parser = json_parser_new_immutable();
	g_autoptr(GError) parse_error = NULL;
	g_autoptr(GString) text = NULL;
	g_autoptr(GHashTable) counts = g_hash_table_new(NULL, NULL);
	g_autofree char *duplicate = NULL;
	DuplicateCheck check = { counts, NULL };
	gboolean parsed;
	gboolean escaped_nul = FALSE;
	JsonNode *root;

	if (length == 0) {
		request_error_set(error,
				  MS_CALC_REQUEST_ERROR_NOT_JSON,
				  language,
				  N_("the body is empty; send a JSON object"));
		return NULL;
	}
	if (memchr(data, '\0', length) != NULL) {
		request_error_set(error,
				  MS_CALC_REQUEST_ERROR_NOT_JSON,
				  language,
				  N_("the body is not valid JSON: it contains a NUL byte"));
		return NULL;
	}
	text = widen_long_integers(data, length, &escaped_nul);
	if (escaped_nul) {
		request_error_set(error,
				  MS_CALC_REQUEST_ERROR_NOT_JSON,
				  language,
				  N_("strings in the body must not contain \\u0000"));
		return NULL;
	}
	g_signal_connect(parser, "object-member", G_CALLBACK(on_object_member), &check);
	parsed = json_parser_load_from_data(parser, text->str, (gssize)text->len, &parse_error);
	duplicate = g_steal_pointer(&check.duplicate);
	if (!parsed) {
		/* json-glib quotes the offending bytes, which need not be UTF-8 */
		g_autofree char *reason = g_utf8_make_valid(parse_error->message, -1);
		request_error_set(error,
				  MS_CALC_REQUEST_ERROR_NOT_JSON,
				  language,
				  N_("the body is not valid JSON: %s"),
				  reason);
		return NULL;
	}
	root = json_parser_get_root(parser);
	if (root == NULL || !JSON_NODE_HOLDS_OBJECT(root)) {
		request_error_set(error,
				  MS_CALC_REQUEST_ERROR_NOT_OBJECT,
				  language,
				  N_("the body must be a JSON object"));
		return NULL;
	}
	if (duplicate != NULL) {
		request_error_set(error,
				  MS_CALC_REQUEST_ERROR_DUPLICATE_FIELD,
				  language,
				  N_("the field “%s” appears more than once"),
				  duplicate);
		return NULL;
	}
	return json_object_ref(json_node_get_object(root));
}

static gboolean
check_fields(JsonObject *object, const char *const *allowed, const char *language, GError **error)
{
	g_autoptr(GList) members = json_object_get_members(object);

	for (GList *l = members; l != NULL; l = l->next) {
		if (!g_strv_contains(allowed, l->data)) {
			/* json-glib lets lone surrogates (\ud800) through as invalid UTF-8 */
			g_autofree char *safe = g_utf8_make_valid(l->data, -1);
			request_error_set(error,
					  MS_CALC_REQUEST_ERROR_UNKNOWN_FIELD,
					  language,
					  N_("unknown field “%s”"),
					  safe);
			return FALSE;
		}
	}
	for (guint i = 0; allowed[i] != NULL; i++) {
		if (!json_object_has_member(object, allowed[i])) {
			request_error_set(error,
					  MS_CALC_REQUEST_ERROR_MISSING_FIELD,
					  language,
					  N_("the field “%s” is missing"),
					  allowed[i]);
			return FALSE;
		}
	}
	return TRUE;
}

static gboolean
number_get(JsonObject *object, const char *name, const char *language, double *out, GError **error)
{
	JsonNode *node = json_object_get_member(object, name);
	GType type = JSON_NODE_HOLDS_VALUE(node) ? json_node_get_value_type(node) : G_TYPE_INVALID;
	double value;

	if (type != G_TYPE_INT64 && type != G_TYPE_DOUBLE) {
		request_error_set(error,
				  MS_CALC_REQUEST_ERROR_WRONG_TYPE,
				  language,
				  N_("the field “%s” must be a number"),
				  name);
		return FALSE;
	}
	value = json_node_get_double(node);
	/* json-glib reads 1e999 as infinity */
	if (!isfinite(value)) {
		request_error_set(error,
				  MS_CALC_REQUEST_ERROR_OUT_OF_RANGE,
				  language,
				  N_("the field “%s” is too large to represent"),
				  name);
		return FALSE;
	}
	*out = value;
	return TRUE;
}

/**
 * ms_calc_request_decode_operands:
 * @data: untrusted bytes of `{"a": number, "b": number}`
 * @language: (nullable): the language of the error message
 *
 * Returns: %FALSE with a #MsCalcRequestError saying precisely what is wrong
 */
gboolean
ms_calc_request_decode_operands(const char *data,
				gsize length,
				const char *language,
				double *a,
				double *b,
				GError **error)
{
	static const char *const fields[] = { "a", "b", NULL };
	g_autoptr(JsonObject) object = decode_object(data, length, language, error);

	return object != NULL && check_fields(object, fields, language, error) &&
	       number_get(object, "a", language, a, error) &&
	       number_get(object, "b", language, b, error);
}

/**
 * ms_calc_request_decode_expression:
 * @data: untrusted bytes of `{"expression": string}`
 *
 * Returns: (transfer full): the expression, or %NULL with a #MsCalcRequestError
 */
char *
ms_calc_request_decode_expression(const char *data,
				  gsize length,
				  const char *language,
				  GError **error)
{
	static const char *const fields[] = { "expression", NULL };
	g_autoptr(JsonObject) object = decode_object(data, length, language, error);
	JsonNode *node;

	if (object == NULL || !check_fields(object, fields, language, error))
		return NULL;
	node = json_object_get_member(object, "expression");
	if (!JSON_NODE_HOLDS_VALUE(node) || json_node_get_value_type(node) != G_TYPE_STRING) {
		request_error_set(error,
				  MS_CALC_REQUEST_ERROR_WRONG_TYPE,
				  language,
				  N_("the field “%s” must be a string"),
				  "expression");
		return NULL;
	}
	if (!g_utf8_validate(json_node_get_string(node), -1, NULL)) {
		request_error_set(error,
				  MS_CALC_REQUEST_ERROR_WRONG_TYPE,
				  language,
				  N_("the field “%s” must be valid Unicode text, without lone "
				     "surrogates"),
				  "expression");
		return NULL;
	}
	return g_strdup(json_node_get_string(node));
}
