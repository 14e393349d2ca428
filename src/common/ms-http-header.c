/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "ms-http-header.h"

#include <string.h>

/**
 * ms_http_header_is_hop_by_hop:
 * @name: a header field name, any case
 *
 * The fields that describe one connection, not the message (RFC 9110 §7.6.1, with
 * the old Proxy-Connection), plus Content-Length, which a proxy or a cache sets
 * from the body it actually sends. Neither forwarded nor stored.
 *
 * Switched on the first letter: the gateway asks this for every header it proxies.
 */
gboolean
ms_http_header_is_hop_by_hop(const char *name)
{
	switch (name[0]) {
	case 'C':
	case 'c':
		return ms_http_header_name_is(name, "Connection") ||
		       ms_http_header_name_is(name, "Content-Length");
	case 'K':
	case 'k':
		return ms_http_header_name_is(name, "Keep-Alive");
	case 'P':
	case 'p':
		return ms_http_header_name_is(name, "Proxy-Connection") ||
		       ms_http_header_name_is(name, "Proxy-Authorization") ||
		       ms_http_header_name_is(name, "Proxy-Authenticate");
	case 'T':
	case 't':
		return ms_http_header_name_is(name, "TE") ||
		       ms_http_header_name_is(name, "Trailer") ||
		       ms_http_header_name_is(name, "Transfer-Encoding");
	case 'U':
	case 'u':
		return ms_http_header_name_is(name, "Upgrade");
	default:
		return FALSE;
	}
}

/* ASCII case-insensitive, as field names compare (RFC 9110 §5.1) */
static guint
name_hash(gconstpointer key)
{
	guint hash = 5381;

	for (const char *p = key; *p != '\0'; p++)
		hash = hash * 33 + (guint)g_ascii_tolower(*p);
	return hash;
}

static gboolean
name_equal(gconstpointer a, gconstpointer b)
{
	return g_ascii_strcasecmp(a, b) == 0;
}

/**
 * ms_http_connection_options_new:
 * @connection: (nullable): a Connection field value, its lines joined
 *
 * The field names a Connection header lists (RFC 9110 §7.6.1), other than
 * "close" and "keep-alive", as a set: looking one up costs the same however
 * many a hostile client listed, so removing them stays linear in the head.
 *
 * Returns: (transfer full) (nullable): the set, or %NULL when it is empty
 */
GHashTable *
ms_http_connection_options_new(const char *connection)
{
	GHashTable *set = NULL;
	const char *p = connection;

	while (p != NULL && *p != '\0') {
		const char *comma = strchr(p, ',');
		const char *end = comma != NULL ? comma : p + strlen(p);
		const char *start = p;

		while (start < end && (*start == ' ' || *start == '\t'))
			start++;
		while (end > start && (end[-1] == ' ' || end[-1] == '\t'))
			end--;
		if (end > start &&
		    !(end - start == 5 && g_ascii_strncasecmp(start, "close", 5) == 0) &&
		    !(end - start == 10 && g_ascii_strncasecmp(start, "keep-alive", 10) == 0)) {
			if (set == NULL)
				set = g_hash_table_new_full(name_hash, name_equal, g_free, NULL);
			g_hash_table_add(set, g_strndup(start, (gsize)(end - start)));
		}
		p = comma != NULL ? comma + 1 : NULL;
	}
	return set;
}
