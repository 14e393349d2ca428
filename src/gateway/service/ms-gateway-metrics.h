/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "gateway/core/ms-gateway-config.h"
#include "gateway/core/ms-metrics.h"
#include "gateway/service/ms-gateway-request.h"
#include "gateway/service/ms-health.h"

G_BEGIN_DECLS

void
ms_gateway_metrics_record(MsMetrics *registry, MsGatewayRequest *request, gint64 duration_us);
void
ms_gateway_metrics_send(MsMetrics *registry, MsHealth *health, MsGatewayRequest *request);
gboolean
ms_gateway_metrics_client_allowed(MsGatewayRequest *request, const MsGatewayGlobals *globals);

G_END_DECLS
