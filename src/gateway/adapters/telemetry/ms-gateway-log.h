#pragma once

#include "gateway/service/ms-gateway-request.h"

G_BEGIN_DECLS

void
ms_gateway_log_access(MsGatewayRequest *request, gint64 duration_us);
void
ms_gateway_log_upstream_failure(MsGatewayRequest *request, guint status, const char *message);
void
ms_gateway_log_part_failure(MsGatewayRequest *request,
			    const MsRoute *part,
			    guint status,
			    const char *message);

G_END_DECLS
