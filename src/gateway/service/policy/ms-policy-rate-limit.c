/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "gateway/service/policy/ms-policy-rate-limit.h"

#include "common/ms-i18n.h"

/*
 * The rate-limit step, on routes with rate_limit: each client gets that many
 * requests per second, a client being the authenticated user when the route
 * has auth, else the client's address. Past it the answer is a 429 with
 * Retry-After, and the request is counted as rate-limited.
 */

MsPolicyOutcome
ms_policy_rate_limit_run(MsGatewayRequest *request, MsPolicyState *state)
{
	const MsRoute *route = ms_gateway_request_get_route(request);
	const char *user = ms_gateway_request_get_user(request);
	const char *client = user != NULL ? user : ms_gateway_request_get_remote_addr(request);
	guint retry_after_s = 1;

	if (ms_rate_limiter_consume(ms_policy_state_get_limiter(state, route),
				    client != NULL ? client : "",
				    g_get_monotonic_time(),
				    &retry_after_s))
		return MS_POLICY_PASS;
	request->record.rate_limited = TRUE;
	ms_gateway_request_retry_later(request,
				       "rate_limited",
				       N_("Too many requests"),
				       retry_after_s);
	return MS_POLICY_ANSWERED;
}
