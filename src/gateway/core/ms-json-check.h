/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * The deepest nesting of objects and arrays a checked text may have. The check
 * itself keeps one byte per level whatever the input; the bound is for whoever
 * parses the text next, most parsers recursing once per level.
 */
#define MS_JSON_CHECK_MAX_DEPTH 128

/* what a JSON text holds at its top */
typedef enum {
	MS_JSON_KIND_INVALID, /* not a JSON text, or nested too deep */
	MS_JSON_KIND_OBJECT,
	MS_JSON_KIND_ARRAY,
	MS_JSON_KIND_STRING,
	MS_JSON_KIND_NUMBER,
	MS_JSON_KIND_LITERAL, /* true, false or null */
} MsJsonKind;

MsJsonKind
ms_json_check(const char *data, gsize length);

G_END_DECLS
