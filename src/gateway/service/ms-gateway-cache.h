#pragma once

#include "gateway/service/ms-gateway.h"
#include "gateway/core/ms-metrics.h"
#include "gateway/core/policy/ms-response-cache.h"

G_BEGIN_DECLS

gboolean
ms_gateway_cache_apply(GObject *owner,
		       MsResponseCache *cache,
		       gsize max_bytes,
		       MsMetrics *metrics_registry,
		       MsGatewayRequest *request,
		       const char *user);

void
ms_gateway_cache_read_request(SoupMessageHeaders *headers, MsCacheRequestFacts *facts);
void
ms_gateway_cache_read_response(SoupMessageHeaders *headers, MsCacheResponseFacts *facts);
const char *
ms_gateway_cache_lookup_header(gconstpointer headers, const char *name);

G_END_DECLS
