/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "gateway/service/policy/ms-policy-state.h"
#include "gateway/service/policy/ms-policy-step.h"

G_BEGIN_DECLS

MsPolicyOutcome
ms_policy_rate_limit_run(MsGatewayRequest *request, MsPolicyState *state);

G_END_DECLS
