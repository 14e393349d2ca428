/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "gateway/service/policy/ms-policy-step.h"

G_BEGIN_DECLS

MsPolicyOutcome
ms_policy_cors_run(MsGatewayRequest *request);

G_END_DECLS
