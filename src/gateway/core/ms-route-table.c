/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "gateway/core/ms-route-table.h"

#include <string.h>

struct _MsRouteTable {
	GPtrArray *by_length; /* MsRoute, longest prefix first; not owned */
};

static gint
compare_prefix_length(gconstpointer a, gconstpointer b)
{
	const MsRoute *ra = *(const MsRoute **)a;
	const MsRoute *rb = *(const MsRoute **)b;
	gsize la = strlen(ra->prefix);
	gsize lb = strlen(rb->prefix);

	if (la != lb)
		return la > lb ? -1 : 1;
	return g_strcmp0(ra->prefix, rb->prefix);
}

/**
 * ms_route_table_new:
 * @routes: (element-type MsRoute): must outlive the table
 */
MsRouteTable *
ms_route_table_new(GPtrArray *routes)
{
	MsRouteTable *self = g_new0(MsRouteTable, 1);

	self->by_length = g_ptr_array_new();
	for (guint i = 0; i < routes->len; i++)
		g_ptr_array_add(self->by_length, g_ptr_array_index(routes, i));
	g_ptr_array_sort(self->by_length, compare_prefix_length);
	return self;
}

void
ms_route_table_free(MsRouteTable *self)
{
	g_ptr_array_unref(self->by_length);
	g_free(self);
}

/**
 * ms_route_prefix_matches:
 *
 * A prefix matches the same path and paths below it at a segment boundary:
 * "/api/hello" takes "/api/hello" and "/api/hello/x", never "/api/helloworld".
 */
gboolean
ms_route_prefix_matches(const char *prefix, const char *path)
{
	gsize n = strlen(prefix);

	if (strncmp(prefix, path, n) != 0)
		return FALSE;
	return path[n] == '\0' || path[n] == '/' || prefix[n - 1] == '/';
}

/**
 * ms_route_table_lookup:
 * @path: the request path, without the query
 *
 * Returns: (transfer none) (nullable): the route with the longest matching prefix
 */
const MsRoute *
ms_route_table_lookup(MsRouteTable *self, const char *path)
{
	for (guint i = 0; i < self->by_length->len; i++) {
		const MsRoute *route = g_ptr_array_index(self->by_length, i);
		if (ms_route_prefix_matches(route->prefix, path))
			return route;
	}
	return NULL;
}

/**
 * ms_route_table_upstream_path:
 * @path: a routed path, starting with "/api/"
 *
 * Returns: (transfer none): the path the upstream sees: "/api/<rest>" → "/<rest>"
 */
const char *
ms_route_table_upstream_path(const char *path)
{
	if (g_str_has_prefix(path, MS_GATEWAY_API_PREFIX "/"))
		return path + strlen(MS_GATEWAY_API_PREFIX);
	return path;
}

gboolean
ms_route_allows_method(const MsRoute *route, const char *method)
{
	for (guint i = 0; route->methods[i] != NULL; i++) {
		if (strcmp(route->methods[i], method) == 0)
			return TRUE;
	}
	return FALSE;
}

const char *
ms_route_auth_to_string(MsRouteAuth auth)
{
	switch (auth) {
	case MS_ROUTE_AUTH_USER:
		return "user";
	case MS_ROUTE_AUTH_ADMIN:
		return "admin";
	case MS_ROUTE_AUTH_NONE:
	default:
		return "none";
	}
}
