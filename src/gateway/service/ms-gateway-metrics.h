#pragma once

#include "gateway/service/ms-gateway.h"
#include "gateway/core/ms-metrics.h"

G_BEGIN_DECLS

void
ms_gateway_metrics_observe(MsMetrics *registry, MsGatewayRequest *request, gint64 duration_us);
void
ms_gateway_metrics_send(MsMetrics *registry, MsGatewayRequest *request);
gboolean
ms_gateway_metrics_is_local_client(MsGatewayRequest *request);

G_END_DECLS
