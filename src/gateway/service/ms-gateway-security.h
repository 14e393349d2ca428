#pragma once

#include "gateway/service/ms-gateway.h"

G_BEGIN_DECLS

/*
 * The names src/cmd/gateway/main.c reads the policies' state by, until it
 * calls ms_gateway_get_metrics() and ms_policy_state_expire() itself.
 */

typedef MsPolicyState MsGatewaySecurity;

static inline MsGatewaySecurity *
ms_gateway_get_security(MsGateway *gateway)
{
	return ms_gateway_get_policy_state(gateway);
}

static inline MsMetrics *
ms_gateway_security_get_metrics(MsGatewaySecurity *security)
{
	return ms_policy_state_get_metrics(security);
}

static inline void
ms_gateway_security_expire(MsGatewaySecurity *security)
{
	ms_policy_state_expire(security);
}

G_END_DECLS
