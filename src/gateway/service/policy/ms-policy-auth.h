/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "gateway/service/policy/ms-policy-state.h"
#include "gateway/service/policy/ms-policy-step.h"

G_BEGIN_DECLS

#define MS_AUTH_REALM_CHALLENGE "Basic realm=\"microsoup\", charset=\"UTF-8\""

MsPolicyOutcome
ms_policy_auth_run(MsGatewayRequest *request, MsPolicyState *state, MsPolicyContinueFunc proceed);
MsPolicyOutcome
ms_policy_auth_require(MsGatewayRequest *request,
		       MsPolicyState *state,
		       MsRole role,
		       gboolean send_identity,
		       MsPolicyContinueFunc proceed);

G_END_DECLS
