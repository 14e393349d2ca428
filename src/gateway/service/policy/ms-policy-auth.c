/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "gateway/service/policy/ms-policy-auth.h"

#include "common/ms-i18n.h"
#include "gateway/core/policy/ms-auth-header.h"
#include "gateway/service/ms-gateway-worker.h"
#include "gateway/service/ms-gateway.h"

/*
 * The authentication step, on routes with auth = user | admin (and for GET
 * /metrics from afar): who sent the request, from its Authorization header,
 * and whether that one has the role asked for. It answers 401 with
 * WWW-Authenticate for missing, malformed or wrong credentials, 403 for a
 * lesser role, 429 after repeated failures, and records which of them on the
 * request. A request let through carries the gateway's X-Microsoup-User and
 * X-Microsoup-Role to its upstream. A password is hashed on a thread, never
 * on the worker's loop: the step suspends the request meanwhile. Credentials
 * are never forwarded (the proxy drops Authorization) nor logged.
 */

static MsRole
required_role(const MsRoute *route)
{
	return route->auth == MS_ROUTE_AUTH_ADMIN ? MS_ROLE_ADMIN : MS_ROLE_USER;
}

/* 401 with the challenge: the same for every way credentials can fail */
static void
send_unauthorized(MsGatewayRequest *request,
		  MsAuthFailureKind kind,
		  const char *title,
		  const char *detail)
{
	request->record.auth_failure = kind + 1;
	ms_http_fields_replace_id(ms_gateway_request_get_response_headers(request),
				  MS_HTTP_FIELD_WWW_AUTHENTICATE,
				  MS_AUTH_REALM_CHALLENGE);
	ms_gateway_request_problem(request,
				   SOUP_STATUS_UNAUTHORIZED,
				   "unauthorized",
				   title,
				   detail);
}

/* answers a refused authentication; returns %TRUE when @result lets the request go on */
static gboolean
check_result(MsGatewayRequest *request, const MsAuthResult *result, MsRole required)
{
	switch (result->status) {
	case MS_AUTH_STATUS_OK:
		if (ms_auth_result_allows(result, required))
			return TRUE;
		request->record.auth_failure = MS_AUTH_FAILURE_FORBIDDEN + 1;
		ms_gateway_request_problem(request,
					   SOUP_STATUS_FORBIDDEN,
					   "forbidden",
					   N_("Forbidden"),
					   N_("This needs the admin role."));
		return FALSE;
	case MS_AUTH_STATUS_THROTTLED:
		request->record.auth_failure = MS_AUTH_FAILURE_THROTTLED + 1;
		ms_gateway_request_retry_later(request,
					       "too_many_failed_logins",
					       N_("Too many failed authentication attempts"),
					       result->retry_after_s);
		return FALSE;
	case MS_AUTH_STATUS_MISSING:
		send_unauthorized(
			request,
			MS_AUTH_FAILURE_MISSING,
			N_("Authentication required"),
			N_("Send a user name and password (Basic) or an API key (Bearer)."));
		return FALSE;
	case MS_AUTH_STATUS_MALFORMED:
		send_unauthorized(request,
				  MS_AUTH_FAILURE_MALFORMED,
				  N_("Authentication required"),
				  N_("The Authorization header is malformed."));
		return FALSE;
	case MS_AUTH_STATUS_WRONG:
	default:
		send_unauthorized(request,
				  MS_AUTH_FAILURE_WRONG,
				  N_("Authentication failed"),
				  N_("Unknown user, wrong password or unknown API key."));
		return FALSE;
	}
}

/* the verdict: refused (answered) or allowed, then who it is for the upstream */
static gboolean
admit(MsGatewayRequest *request,
      const MsAuthResult *result,
      MsRole required,
      gboolean send_identity)
{
	MsHttpFields *headers = ms_gateway_request_get_headers(request);

	if (!check_result(request, result, required))
		return FALSE;
	if (send_identity) {
		/*
		 * appended, not replaced: ms_inbound_headers_sanitize() took the
		 * client's out, and a route runs this step once
		 */
		ms_http_fields_append_id(headers, MS_HTTP_FIELD_X_MICROSOUP_USER, result->user);
		ms_http_fields_append_id(headers,
					 MS_HTTP_FIELD_X_MICROSOUP_ROLE,
					 ms_role_to_string(result->role));
	}
	return TRUE;
}

static const char *
authorization_of(MsGatewayRequest *request)
{
	return ms_http_fields_get_one_id(ms_gateway_request_get_headers(request),
					 MS_HTTP_FIELD_AUTHORIZATION);
}

/* what @request's connection proved with @authorization, for its next requests (ms-auth-memo.c) */
static void
remember(MsGatewayRequest *request,
	 const char *authorization,
	 MsAuthenticator *authenticator,
	 const MsAuthResult *result)
{
	if (request->head.auth_memo == NULL || authorization == NULL)
		return;
	ms_auth_memo_remember(request->head.auth_memo,
			      authorization,
			      result->user,
			      result->role,
			      ms_authenticator_get_generation(authenticator),
			      g_get_monotonic_time());
}

/*
 * the connection proved these very credentials before: @known gets its user
 * and role again, without a check. %FALSE when it did not.
 */
static gboolean
recall(MsGatewayRequest *request,
       const char *authorization,
       MsAuthenticator *authenticator,
       MsAuthResult *known)
{
	const char *user = NULL;

	if (request->head.auth_memo == NULL ||
	    !ms_auth_memo_recall(request->head.auth_memo,
				 authorization,
				 ms_authenticator_get_generation(authenticator),
				 g_get_monotonic_time(),
				 &user,
				 &known->role))
		return FALSE;
	known->status = MS_AUTH_STATUS_OK;
	/* the memo's, which outlives the request's step */
	known->user = (char *)user;
	return TRUE;
}

/* --- a password hashed in a worker thread -------------------------------------------- */

typedef struct {
	MsGateway *gateway;   /* owned: keeps the authenticator alive until the verdict */
	MsPolicyState *state; /* the gateway's, alive while it is */
	MsGatewayRequest *request;
	MsRole required;
	gboolean send_identity;
	MsPolicyContinueFunc proceed;
} AuthWait;

static void
on_authenticated(GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autofree AuthWait *wait = user_data;
	g_autoptr(MsGateway) gateway = g_steal_pointer(&wait->gateway);
	MsGatewayRequest *request = wait->request;
	g_autoptr(MsAuthResult) result =
		ms_authenticator_authenticate_finish(MS_AUTHENTICATOR(source), res, NULL);

	/* woken before the answer, which may end the request at once */
	if (!ms_gateway_request_wake(request))
		return;
	/* no cancellable, so the thread always has a verdict; a missing one is refused */
	if (result == NULL) {
		result = g_new0(MsAuthResult, 1);
		result->status = MS_AUTH_STATUS_WRONG;
	}
	if (admit(request, result, wait->required, wait->send_identity)) {
		remember(request,
			 authorization_of(request),
			 ms_policy_state_get_authenticator(wait->state),
			 result);
		wait->proceed(request);
	}
}

/**
 * ms_policy_auth_require:
 * @role: the least role the request needs
 * @send_identity: %TRUE to tell the upstream who it is (X-Microsoup-User, -Role)
 * @proceed: called when a request let through after a thread's hashing
 *
 * Returns: %MS_POLICY_PASS when let through at once, %MS_POLICY_ANSWERED
 *   when refused, %MS_POLICY_SUSPENDED while a thread checks a password: then
 *   @proceed runs once it is let through
 */
MsPolicyOutcome
ms_policy_auth_require(MsGatewayRequest *request,
		       MsPolicyState *state,
		       MsRole role,
		       gboolean send_identity,
		       MsPolicyContinueFunc proceed)
{
	MsAuthenticator *authenticator = ms_policy_state_get_authenticator(state);
	const char *remote = ms_gateway_request_get_remote_addr(request);
	const char *authorization = authorization_of(request);
	MsAuthResult known = { 0 };
	g_autoptr(MsAuthHeader) header = NULL;
	g_autoptr(MsAuthResult) result = NULL;
	AuthWait *wait;

	/* a lesser role is refused as after a check: admit() answers it */
	if (recall(request, authorization, authenticator, &known))
		return admit(request, &known, role, send_identity) ? MS_POLICY_PASS
								   : MS_POLICY_ANSWERED;
	header = ms_auth_header_parse(authorization);
	result = ms_authenticator_try_fast(authenticator, header, remote, g_get_monotonic_time());
	if (result != NULL) {
		/* the headers admit() adds leave @authorization's string where it is */
		if (!admit(request, result, role, send_identity))
			return MS_POLICY_ANSWERED;
		remember(request, authorization, authenticator, result);
		return MS_POLICY_PASS;
	}

	/* a password to check with yescrypt: in a worker thread, not this loop */
	wait = g_new0(AuthWait, 1);
	wait->gateway = g_object_ref(ms_gateway_worker_get_gateway(request->worker));
	wait->state = state;
	wait->request = request;
	wait->required = role;
	wait->send_identity = send_identity;
	wait->proceed = proceed;
	ms_gateway_request_suspend(request);
	ms_authenticator_authenticate_async(authenticator,
					    g_steal_pointer(&header),
					    remote,
					    NULL,
					    on_authenticated,
					    wait);
	return MS_POLICY_SUSPENDED;
}

/* the route's step: its auth setting's role, and the identity sent upstream */
MsPolicyOutcome
ms_policy_auth_run(MsGatewayRequest *request, MsPolicyState *state, MsPolicyContinueFunc proceed)
{
	return ms_policy_auth_require(request,
				      state,
				      required_role(ms_gateway_request_get_route(request)),
				      TRUE,
				      proceed);
}
