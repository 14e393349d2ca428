#pragma once

#include "gateway/service/ms-gateway-request.h"

G_BEGIN_DECLS

/* what each part of an aggregation route is asked */
char *
ms_aggregate_part_path(const MsRoute *route, const MsRoute *part, const char *path);
char *
ms_aggregate_part_query(const MsRoute *route, const MsRoute *part, const char *query);
void
ms_aggregate_write_request(MsGatewayRequest *request, const MsRoute *part, GString *out);

G_END_DECLS
