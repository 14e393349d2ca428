/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <json-glib/json-glib.h>

#include "gateway/core/ms-json-check.h"

int
LLVMFuzzerTestOneInput(const guint8 *data, size_t size);

/* the kind the check gave, as json-glib's tree has it */
static void
assert_kind(MsJsonKind kind, JsonNode *root)
{
	GType type;

	switch (kind) {
	case MS_JSON_KIND_OBJECT:
		g_assert_true(JSON_NODE_HOLDS_OBJECT(root));
		break;
	case MS_JSON_KIND_ARRAY:
		g_assert_true(JSON_NODE_HOLDS_ARRAY(root));
		break;
	case MS_JSON_KIND_STRING:
		g_assert_cmpuint(json_node_get_value_type(root), ==, G_TYPE_STRING);
		break;
	case MS_JSON_KIND_NUMBER:
		type = json_node_get_value_type(root);
		g_assert_true(type == G_TYPE_INT64 || type == G_TYPE_DOUBLE);
		break;
	case MS_JSON_KIND_LITERAL:
		g_assert_true(JSON_NODE_HOLDS_NULL(root) ||
			      json_node_get_value_type(root) == G_TYPE_BOOLEAN);
		break;
	case MS_JSON_KIND_INVALID:
	default:
		g_assert_not_reached();
	}
}

/*
 * libFuzzer target for the JSON check: any bytes get an answer in one pass
 * (never a crash, whatever the nesting), and whatever it takes for JSON,
 * json-glib parses too, to a value of the kind it said. json-glib takes more
 * than JSON, so the converse is not asked; and it is only given what the check
 * took, which is never nested deeper than its stack can follow.
 */
int
LLVMFuzzerTestOneInput(const guint8 *data, size_t size)
{
	MsJsonKind kind = ms_json_check((const char *)data, size);
	g_autoptr(JsonParser) parser = NULL;
	g_autoptr(GError) error = NULL;

	if (kind == MS_JSON_KIND_INVALID)
		return 0;
	parser = json_parser_new_immutable();
	json_parser_load_from_data(parser, (const char *)data, (gssize)size, &error);
	g_assert_no_error(error);
	g_assert_nonnull(json_parser_get_root(parser));
	assert_kind(kind, json_parser_get_root(parser));
	return 0;
}
