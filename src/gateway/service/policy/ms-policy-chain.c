/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "gateway/service/policy/ms-policy-chain.h"

#include "gateway/service/ms-gateway-worker.h"
#include "gateway/service/ms-gateway.h"
#include "gateway/service/policy/ms-policy-auth.h"
#include "gateway/service/policy/ms-policy-cache.h"
#include "gateway/service/policy/ms-policy-cors.h"
#include "gateway/service/policy/ms-policy-rate-limit.h"

/*
 * A routed request's admission: the route's policy steps, exactly those its
 * configuration declared (MsRoute.policy_steps, built when it was parsed),
 * in their order, and the route's methods. It answers the request (a step
 * refused it, or the method is not the route's), or lets the front read the
 * body. A step that waits for a thread resumes the chain after itself.
 * A route with no policies costs one method check and one comparison.
 */

static void
run_steps(MsGatewayRequest *request);

static MsPolicyOutcome
run_step(MsGatewayRequest *request, MsPolicyStep step)
{
	MsPolicyState *state =
		ms_gateway_get_policy_state(ms_gateway_worker_get_gateway(request->worker));

	switch (step) {
	case MS_POLICY_STEP_AUTH:
		return ms_policy_auth_run(request, state, run_steps);
	case MS_POLICY_STEP_RATE_LIMIT:
		return ms_policy_rate_limit_run(request, state);
	case MS_POLICY_STEP_CACHE:
		return ms_policy_cache_run(request, state);
	case MS_POLICY_STEP_CORS:
		return ms_policy_cors_run(request);
	}
	/* every step is a case above (-Wswitch says when one is missing) */
	g_assert_not_reached();
}

/* the steps @request has not passed yet, then the body */
static void
run_steps(MsGatewayRequest *request)
{
	const MsRoute *route = ms_gateway_request_get_route(request);

	while (request->next_step < route->n_policy_steps) {
		MsPolicyStep step = route->policy_steps[request->next_step++];

		if (run_step(request, step) != MS_POLICY_PASS)
			return;
	}
	ms_gateway_request_read_body(request);
}

/**
 * ms_policy_chain_admit:
 *
 * Runs the route's policies on @request before its body is read. CORS, when
 * the route has it, comes before the method check: a preflight is OPTIONS
 * asking about another method, and is answered whatever the route's methods.
 */
void
ms_policy_chain_admit(MsGatewayRequest *request)
{
	const MsRoute *route = ms_gateway_request_get_route(request);

	if (route->n_policy_steps > 0 && route->policy_steps[0] == MS_POLICY_STEP_CORS) {
		request->next_step = 1;
		if (ms_policy_cors_run(request) != MS_POLICY_PASS)
			return;
	}
	if (!ms_route_allows_method(route, ms_gateway_request_get_method(request))) {
		ms_gateway_request_refuse_method(request, route->allow);
		return;
	}
	run_steps(request);
}
