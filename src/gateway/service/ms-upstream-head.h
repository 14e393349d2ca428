#pragma once

#include "gateway/service/ms-gateway-request.h"

G_BEGIN_DECLS

void
ms_upstream_head_write_request_line(GString *out,
				    const char *method,
				    const char *path,
				    const char *query,
				    const MsRoute *route);
void
ms_upstream_head_write_gateway_fields(MsGatewayRequest *request, GString *out);

G_END_DECLS
