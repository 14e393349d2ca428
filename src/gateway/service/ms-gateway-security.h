#pragma once

#include "gateway/core/policy/ms-authenticator.h"
#include "gateway/service/ms-gateway.h"
#include "gateway/core/ms-metrics.h"
#include "gateway/core/policy/ms-response-cache.h"

G_BEGIN_DECLS

/*
 * The gateway's security and traffic control on the request path:
 * CORS, authentication, roles, rate limits, the response cache, metrics and
 * GET /metrics. One object shared by every worker thread.
 */

#define MS_TYPE_GATEWAY_SECURITY (ms_gateway_security_get_type())
G_DECLARE_FINAL_TYPE(MsGatewaySecurity, ms_gateway_security, MS, GATEWAY_SECURITY, GObject)

#define MS_AUTH_REALM_CHALLENGE "Basic realm=\"microsoup\", charset=\"UTF-8\""

MsGatewaySecurity *
ms_gateway_security_new(MsCredentials *credentials, guint64 cache_max_bytes);
void
ms_gateway_security_install(MsGatewaySecurity *self, MsGateway *gateway);
void
ms_gateway_security_reload(MsGatewaySecurity *self, MsCredentials *credentials);
MsMetrics *
ms_gateway_security_get_metrics(MsGatewaySecurity *self);
MsAuthenticator *
ms_gateway_security_get_authenticator(MsGatewaySecurity *self);
void
ms_gateway_security_expire(MsGatewaySecurity *self);

G_END_DECLS
