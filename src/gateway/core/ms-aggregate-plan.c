/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <string.h>

#include "gateway/core/ms-aggregate-plan.h"

/*
 * What each part of an aggregation route is asked, decided from the route and
 * the client's path and query alone: no I/O, no headers (the service writes
 * the part's request head with them, ms-aggregate-request.c).
 */

/**
 * ms_aggregate_part_path:
 * @route: the aggregation route
 * @part: one of its parts
 * @path: the client's path, under @route's prefix
 *
 * The path a part's upstream is asked for: the part route's own upstream path
 * for its prefix, then whatever the client put after the aggregation prefix:
 * /api/hello-world/x with parts hello, world → /hello/x and /world/x.
 *
 * Returns: (transfer full): the upstream path, without query
 */
char *
ms_aggregate_part_path(const MsRoute *route, const MsRoute *part, const char *path)
{
	const char *rest = "";

	if (g_str_has_prefix(path, route->prefix))
		rest = path + strlen(route->prefix);
	return g_strconcat(ms_route_table_upstream_path(part->prefix), rest, NULL);
}

/* "hello.name" → "name" when @part is hello; NULL when the key is for another part */
static const char *
param_for_part(const MsRoute *route, const MsRoute *part, const char *param, gsize length)
{
	const char *dot = memchr(param, '.', length);
	const char *equals = memchr(param, '=', length);

	if (dot == NULL || (equals != NULL && equals < dot))
		return param;
	for (guint i = 0; route->upstreams[i] != NULL; i++) {
		const char *name = route->upstreams[i];

		if (strlen(name) != (gsize)(dot - param) || strncmp(param, name, dot - param) != 0)
			continue;
		return g_strcmp0(name, part->name) == 0 ? dot + 1 : NULL;
	}
	/* a dotted key that names no part is an ordinary one */
	return param;
}

/**
 * ms_aggregate_part_query:
 * @query: (nullable): the client's query string
 *
 * The query a part is asked with: every parameter, except that PART.KEY=VALUE
 * goes only to the part route named PART, as KEY=VALUE:
 * ?hello.name=Ada&lang=x → hello gets name=Ada&lang=x, world gets lang=x.
 *
 * Returns: (transfer full) (nullable): the part's query, or %NULL for none
 */
char *
ms_aggregate_part_query(const MsRoute *route, const MsRoute *part, const char *query)
{
	g_autoptr(GString) out = NULL;
	const char *p = query;

	if (query == NULL)
		return NULL;
	out = g_string_new(NULL);
	while (*p != '\0') {
		const char *end = strchr(p, '&');
		gsize length = end != NULL ? (gsize)(end - p) : strlen(p);
		const char *param = param_for_part(route, part, p, length);

		if (param != NULL && length > 0) {
			if (out->len > 0)
				g_string_append_c(out, '&');
			g_string_append_len(out, param, length - (param - p));
		}
		if (end == NULL)
			break;
		p = end + 1;
	}
	if (out->len == 0)
		return NULL;
	return g_string_free(g_steal_pointer(&out), FALSE);
}
