/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "gateway/service/ms-inbound-headers.h"

#include <string.h>

#include "common/ms-http-header.h"
#include "common/ms-request-id.h"

/*
 * A client's request headers are cleaned once, when its request begins, so
 * that everything after (routing, policies, the cache key, the proxy and the
 * aggregation) sees the one set of fields the upstream will get:
 *
 * - hop-by-hop fields and every field the client's Connection header names
 *   (RFC 9110 §7.6.1) go; this happens before the gateway adds its own fields,
 *   so Connection cannot take those away;
 * - what only the gateway may say goes: the identity its authentication
 *   sets, the request id, X-Forwarded-Proto, and the forwarding fields it does
 *   not vouch for (X-Forwarded-Host, Forwarded, X-Real-IP), which a cache
 *   would otherwise replay;
 * - any name with '_' goes, as nginx drops them by default: many frameworks
 *   read X_Microsoup_User and X-Microsoup-User as one variable.
 */

/* at most this many distinct names are removed one by one; more, and the set is rebuilt */
#define REMOVE_ONE_BY_ONE 4

static gboolean
is_gateway_owned(const char *name)
{
	switch (name[0]) {
	case 'X':
	case 'x':
		return ms_http_header_name_is(name, "X-Microsoup-User") ||
		       ms_http_header_name_is(name, "X-Microsoup-Role") ||
		       ms_http_header_name_is(name, MS_REQUEST_ID_HEADER) ||
		       ms_http_header_name_is(name, "X-Forwarded-Proto") ||
		       ms_http_header_name_is(name, "X-Forwarded-Host") ||
		       ms_http_header_name_is(name, "X-Real-IP");
	case 'F':
	case 'f':
		return ms_http_header_name_is(name, "Forwarded");
	default:
		return ms_http_header_is_hop_by_hop(name);
	}
}

static gboolean
is_dropped(const char *name, GHashTable *listed)
{
	return is_gateway_owned(name) || strchr(name, '_') != NULL ||
	       (listed != NULL && g_hash_table_contains(listed, name));
}

/* copies what is kept, clears, and puts it back: linear however much goes */
static void
rebuild(SoupMessageHeaders *headers, GHashTable *listed)
{
	g_autoptr(GPtrArray) kept = g_ptr_array_new_with_free_func(g_free);
	SoupMessageHeadersIter iter;
	const char *name;
	const char *value;

	soup_message_headers_iter_init(&iter, headers);
	while (soup_message_headers_iter_next(&iter, &name, &value)) {
		if (is_dropped(name, listed))
			continue;
		g_ptr_array_add(kept, g_strdup(name));
		g_ptr_array_add(kept, g_strdup(value));
	}
	soup_message_headers_clear(headers);
	for (guint i = 0; i + 1 < kept->len; i += 2)
		soup_message_headers_append(headers,
					    g_ptr_array_index(kept, i),
					    g_ptr_array_index(kept, i + 1));
}

/**
 * ms_inbound_headers_sanitize:
 * @headers: a client's request headers, after the front decided the framing
 */
void
ms_inbound_headers_sanitize(SoupMessageHeaders *headers)
{
	g_autoptr(GHashTable) listed = ms_http_connection_options_new(
		soup_message_headers_get_list(headers, "Connection"));
	const char *doomed[REMOVE_ONE_BY_ONE];
	guint n_doomed = 0;
	SoupMessageHeadersIter iter;
	const char *name;
	const char *value;

	soup_message_headers_iter_init(&iter, headers);
	while (soup_message_headers_iter_next(&iter, &name, &value)) {
		gboolean known = FALSE;

		if (!is_dropped(name, listed))
			continue;
		for (guint i = 0; i < n_doomed && !known; i++)
			known = g_ascii_strcasecmp(doomed[i], name) == 0;
		if (known)
			continue;
		if (n_doomed == REMOVE_ONE_BY_ONE) {
			rebuild(headers, listed);
			return;
		}
		doomed[n_doomed++] = name;
	}
	/* the names point into @headers: copied before the first removal frees one */
	{
		char *names[REMOVE_ONE_BY_ONE];

		for (guint i = 0; i < n_doomed; i++)
			names[i] = g_strdup(doomed[i]);
		for (guint i = 0; i < n_doomed; i++) {
			soup_message_headers_remove(headers, names[i]);
			g_free(names[i]);
		}
	}
}
