#pragma once

#include "gateway/service/policy/ms-policy-state.h"
#include "gateway/service/policy/ms-policy-step.h"

G_BEGIN_DECLS

MsPolicyOutcome
ms_policy_cache_run(MsGatewayRequest *request, MsPolicyState *state);

G_END_DECLS
