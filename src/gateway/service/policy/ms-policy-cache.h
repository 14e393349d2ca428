/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "gateway/service/policy/ms-policy-state.h"
#include "gateway/service/policy/ms-policy-step.h"

G_BEGIN_DECLS

MsPolicyOutcome
ms_policy_cache_run(MsGatewayRequest *request, MsPolicyState *state);

void
ms_gateway_cache_read_request(MsHttpFields *headers, MsCacheRequestFacts *facts);
void
ms_gateway_cache_read_response(MsHttpFields *headers, MsCacheResponseFacts *facts);
const char *
ms_gateway_cache_lookup_header(gconstpointer headers, const char *name);

G_END_DECLS
