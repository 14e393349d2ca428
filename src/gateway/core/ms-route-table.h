#pragma once

#include "gateway/core/ms-gateway-config.h"

G_BEGIN_DECLS

/* longest-prefix routing over an immutable set of routes */

typedef struct _MsRouteTable MsRouteTable;

MsRouteTable *
ms_route_table_new(GPtrArray *routes);
void
ms_route_table_free(MsRouteTable *self);
const MsRoute *
ms_route_table_lookup(MsRouteTable *self, const char *path);
const char *
ms_route_table_upstream_path(const char *path);
gboolean
ms_route_prefix_matches(const char *prefix, const char *path);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(MsRouteTable, ms_route_table_free)

G_END_DECLS
