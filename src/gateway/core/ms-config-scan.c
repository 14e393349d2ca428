/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "gateway/core/ms-config-scan.h"

#define MS_CONFIG_MAX_LINE 4096

/* G_DEFINE_QUARK makes the name a string: spaces would be part of it */
/* clang-format off */
G_DEFINE_QUARK(ms-gateway-config-error-quark, ms_gateway_config_error)
/* clang-format on */

struct _MsConfigScan {
	char *filename;
	GHashTable *lines; /* scan_id() → line, for duplicates and find_line */
};

/* a line holds no '\n', so neither does a group or a key; "" stands for the header */
static char *
scan_id(const char *group, const char *key)
{
	return g_strconcat(group, "\n", key != NULL ? key : "", NULL);
}

void
ms_config_scan_free(MsConfigScan *self)
{
	g_hash_table_unref(self->lines);
	g_free(self->filename);
	g_free(self);
}

static gboolean
scan_add(MsConfigScan *self, const char *group, const char *key, guint line, GError **error)
{
	char *id = scan_id(group, key);
	gpointer earlier = g_hash_table_lookup(self->lines, id);

	if (earlier != NULL) {
		if (key != NULL)
			g_set_error(error,
				    MS_GATEWAY_CONFIG_ERROR,
				    MS_GATEWAY_CONFIG_ERROR_DUPLICATE,
				    "%s:%u: key %s set twice in [%s] (first on line %u)",
				    self->filename,
				    line,
				    key,
				    group,
				    GPOINTER_TO_UINT(earlier));
		else
			g_set_error(error,
				    MS_GATEWAY_CONFIG_ERROR,
				    MS_GATEWAY_CONFIG_ERROR_DUPLICATE,
				    "%s:%u: group [%s] appears twice (first on line %u)",
				    self->filename,
				    line,
				    group,
				    GPOINTER_TO_UINT(earlier));
		g_free(id);
		return FALSE;
	}
	g_hash_table_insert(self->lines, id, GUINT_TO_POINTER(line));
	return TRUE;
}

static gboolean
scan_line(MsConfigScan *self, char *text, guint line, char **group, GError **error)
{
	char *equals;

	g_strstrip(text);
	if (*text == '\0' || *text == '#')
		return TRUE;
	if (*text == '[') {
		gsize n = strlen(text);
		if (n < 3 || text[n - 1] != ']' || memchr(text + 1, '[', n - 2) != NULL ||
		    memchr(text + 1, ']', n - 2) != NULL) {
			g_set_error(error,
				    MS_GATEWAY_CONFIG_ERROR,
				    MS_GATEWAY_CONFIG_ERROR_SYNTAX,
				    "%s:%u: malformed group header",
				    self->filename,
				    line);
			return FALSE;
		}
		g_free(*group);
		*group = g_strndup(text + 1, n - 2);
		return scan_add(self, *group, NULL, line, error);
	}
	equals = strchr(text, '=');
	if (equals == NULL || equals == text) {
		g_set_error(error,
			    MS_GATEWAY_CONFIG_ERROR,
			    MS_GATEWAY_CONFIG_ERROR_SYNTAX,
			    "%s:%u: expected KEY=VALUE, [GROUP] or a # comment",
			    self->filename,
			    line);
		return FALSE;
	}
	if (*group == NULL) {
		g_set_error(error,
			    MS_GATEWAY_CONFIG_ERROR,
			    MS_GATEWAY_CONFIG_ERROR_SYNTAX,
			    "%s:%u: key outside of any group",
			    self->filename,
			    line);
		return FALSE;
	}
	*equals = '\0';
	g_strchomp(text);
	return scan_add(self, *group, text, line, error);
}

/**
 * ms_config_scan_new:
 * @filename: shown in messages
 *
 * Returns: (transfer full): the scan, or %NULL with a line-precise @error
 */
MsConfigScan *
ms_config_scan_new(const char *data, gsize length, const char *filename, GError **error)
{
	g_autoptr(MsConfigScan) self = g_new0(MsConfigScan, 1);
	g_autofree char *group = NULL;
	const char *p = data;
	const char *end = data + length;
	guint line = 0;

	self->filename = g_strdup(filename);
	self->lines = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);

	if (memchr(data, '\0', length) != NULL || !g_utf8_validate(data, length, NULL)) {
		g_set_error(error,
			    MS_GATEWAY_CONFIG_ERROR,
			    MS_GATEWAY_CONFIG_ERROR_SYNTAX,
			    "%s: not UTF-8 text",
			    filename);
		return NULL;
	}
	while (p < end) {
		const char *nl = memchr(p, '\n', end - p);
		gsize n = (nl != NULL ? nl : end) - p;
		g_autofree char *text = NULL;

		line++;
		if (n > MS_CONFIG_MAX_LINE) {
			g_set_error(error,
				    MS_GATEWAY_CONFIG_ERROR,
				    MS_GATEWAY_CONFIG_ERROR_SYNTAX,
				    "%s:%u: line longer than %u bytes",
				    filename,
				    line,
				    (guint)MS_CONFIG_MAX_LINE);
			return NULL;
		}
		text = g_strndup(p, n);
		if (!scan_line(self, text, line, &group, error))
			return NULL;
		p += n + 1;
	}
	return g_steal_pointer(&self);
}

const char *
ms_config_scan_get_filename(MsConfigScan *self)
{
	return self->filename;
}

/**
 * ms_config_scan_find_line:
 * @key: (nullable): %NULL for the group header
 *
 * Returns: the 1-based line, or 0 when not found
 */
guint
ms_config_scan_find_line(MsConfigScan *self, const char *group, const char *key)
{
	g_autofree char *id = scan_id(group, key);

	return GPOINTER_TO_UINT(g_hash_table_lookup(self->lines, id));
}
