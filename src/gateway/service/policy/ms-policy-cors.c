/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "gateway/service/policy/ms-policy-cors.h"

#include "common/ms-i18n.h"
#include "gateway/core/policy/ms-cors.h"

/*
 * The CORS step, on routes with cors_origins. Decides nothing itself
 * (ms_cors_evaluate() does): it hands over the request's Origin and
 * Access-Control-Request-Method, writes the CORS headers of the verdict into
 * the answer, and answers a preflight: 204 when allowed, a 403 problem when
 * not. Any other request goes on.
 */

static void
set_answer_headers(MsHttpFields *response, const MsCorsAnswer *answer)
{
	if (answer->vary_origin)
		ms_http_fields_append_id(response, MS_HTTP_FIELD_VARY, "Origin");
	if (answer->allow_origin != NULL)
		ms_http_fields_replace_id(response,
					  MS_HTTP_FIELD_ACCESS_CONTROL_ALLOW_ORIGIN,
					  answer->allow_origin);
	if (answer->allow_methods != NULL)
		ms_http_fields_replace_id(response,
					  MS_HTTP_FIELD_ACCESS_CONTROL_ALLOW_METHODS,
					  answer->allow_methods);
	if (answer->allow_headers != NULL)
		ms_http_fields_replace_id(response,
					  MS_HTTP_FIELD_ACCESS_CONTROL_ALLOW_HEADERS,
					  answer->allow_headers);
	if (answer->max_age != NULL)
		ms_http_fields_replace_id(response,
					  MS_HTTP_FIELD_ACCESS_CONTROL_MAX_AGE,
					  answer->max_age);
}

MsPolicyOutcome
ms_policy_cors_run(MsGatewayRequest *request)
{
	const MsRoute *route = ms_gateway_request_get_route(request);
	MsHttpFields *headers = ms_gateway_request_get_headers(request);
	g_auto(MsCorsAnswer) answer = { 0 };
	MsCorsVerdict verdict;

	verdict = ms_cors_evaluate(
		(const char *const *)route->cors_origins,
		(const char *const *)route->methods,
		ms_gateway_request_get_method(request),
		ms_http_fields_get_one_id(headers, MS_HTTP_FIELD_ORIGIN),
		ms_http_fields_get_one_id(headers, MS_HTTP_FIELD_ACCESS_CONTROL_REQUEST_METHOD),
		&answer);
	set_answer_headers(ms_gateway_request_get_response_headers(request), &answer);
	switch (verdict) {
	case MS_CORS_PREFLIGHT:
		ms_gateway_request_respond(request, SOUP_STATUS_NO_CONTENT, NULL);
		return MS_POLICY_ANSWERED;
	case MS_CORS_FORBIDDEN:
		ms_gateway_request_problem(request,
					   SOUP_STATUS_FORBIDDEN,
					   "cors_forbidden",
					   N_("Cross-origin request not allowed"),
					   NULL);
		return MS_POLICY_ANSWERED;
	case MS_CORS_NONE:
	case MS_CORS_ALLOWED:
	default:
		return MS_POLICY_PASS;
	}
}
