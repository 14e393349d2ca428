#pragma once

#include "ms-gateway.h"
#include "ms-metrics.h"
#include "ms-response-cache.h"

G_BEGIN_DECLS

gboolean
ms_gateway_cache_apply(GObject *owner,
		       MsResponseCache *cache,
		       gsize max_bytes,
		       MsMetrics *metrics_registry,
		       MsGatewayRequest *request,
		       const char *user);

G_END_DECLS
