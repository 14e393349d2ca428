#include "config.h"

#include <string.h>

#include "common/ms-i18n.h"

#include "gateway/core/policy/ms-cors.h"
#include "gateway/service/ms-gateway-cache.h"
#include "gateway/service/ms-gateway-metrics.h"
#include "gateway/service/ms-gateway-private.h"
#include "gateway/service/ms-gateway-security.h"
#include "gateway/core/policy/ms-rate-limiter.h"

/*
 * One gateway filter, in this order, for routes that ask for any of it:
 *
 *   CORS preflight   answered here (204 or 403), before auth: browsers send no credentials
 *   authentication   auth = user | admin: 401 + WWW-Authenticate, 403 for a lesser role,
 *                    429 after repeated failures; X-Microsoup-User/Role set for upstream
 *   rate limit       per user when authenticated, else per client address: 429 + Retry-After
 *   cache            GET/HEAD: a HIT is answered here, a MISS is watched to be stored
 *
 * A route with none of them (auth = none, no rate_limit, cache_ttl_s or
 * cors_origins) costs four field checks. Metrics are counted for every request
 * when it finishes. Credentials are never forwarded (the proxy drops
 * Authorization) nor logged.
 */

#define LIMITER_MAX_ENTRIES 65536

typedef struct {
	MsRateLimiter *limiter;
	guint rate;
} RouteLimiter;

struct _MsGatewaySecurity {
	GObject parent_instance;
	MsGateway *gateway; /* not owned: the gateway outlives the filter */
	MsAuthenticator *authenticator;
	MsMetrics *metrics;
	MsResponseCache *cache;
	gsize cache_max_bytes;
	GMutex mutex;         /* guards limiters */
	GHashTable *limiters; /* route name → RouteLimiter */
	GPtrArray *retired;   /* limiters replaced by a reload, still maybe in use */
};

G_DEFINE_TYPE(MsGatewaySecurity, ms_gateway_security, G_TYPE_OBJECT)

static void
route_limiter_free(RouteLimiter *route_limiter)
{
	ms_rate_limiter_free(route_limiter->limiter);
	g_free(route_limiter);
}

/* the route's limiter; a reload that changes the rate starts it afresh */
static MsRateLimiter *
get_limiter(MsGatewaySecurity *self, const MsRoute *route)
{
	g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&self->mutex);
	RouteLimiter *route_limiter = g_hash_table_lookup(self->limiters, route->name);

	if (route_limiter != NULL && route_limiter->rate == route->rate_limit)
		return route_limiter->limiter;
	if (route_limiter != NULL) {
		g_hash_table_steal(self->limiters, route->name);
		g_ptr_array_add(self->retired, route_limiter);
	}
	route_limiter = g_new0(RouteLimiter, 1);
	route_limiter->rate = route->rate_limit;
	route_limiter->limiter =
		ms_rate_limiter_new(route->rate_limit, route->rate_limit, LIMITER_MAX_ENTRIES);
	g_hash_table_insert(self->limiters, g_strdup(route->name), route_limiter);
	return route_limiter->limiter;
}

static MsRole
required_role(const MsRoute *route)
{
	return route->auth == MS_ROUTE_AUTH_ADMIN ? MS_ROLE_ADMIN : MS_ROLE_USER;
}

static void
send_retry_after(MsGatewayRequest *request, const char *type, const char *title, guint seconds)
{
	char value[16];

	g_snprintf(value, sizeof(value), "%u", seconds);
	soup_message_headers_replace(ms_gateway_request_get_response_headers(request),
				     "Retry-After",
				     value);
	ms_gateway_request_problemf(request,
				    429,
				    type,
				    title,
				    N_("Try again in %u seconds."),
				    seconds);
}

/* 401 with the challenge: the same for every way credentials can fail */
static void
send_unauthorized(MsGatewaySecurity *self,
		  MsGatewayRequest *request,
		  MsAuthFailureKind kind,
		  const char *title,
		  const char *detail)
{
	ms_metrics_auth_failure(self->metrics, kind);
	soup_message_headers_replace(ms_gateway_request_get_response_headers(request),
				     "WWW-Authenticate",
				     MS_AUTH_REALM_CHALLENGE);
	ms_gateway_request_problem(request,
				   SOUP_STATUS_UNAUTHORIZED,
				   "unauthorized",
				   title,
				   detail);
}

/* answers a refused authentication; returns %TRUE when @result lets the request go on */
static gboolean
check_auth_result(MsGatewaySecurity *self,
		  MsGatewayRequest *request,
		  const MsAuthResult *result,
		  MsRole required)
{
	switch (result->status) {
	case MS_AUTH_STATUS_OK:
		if (ms_auth_result_allows(result, required))
			return TRUE;
		ms_metrics_auth_failure(self->metrics, MS_AUTH_FAILURE_FORBIDDEN);
		ms_gateway_request_problem(request,
					   SOUP_STATUS_FORBIDDEN,
					   "forbidden",
					   N_("Forbidden"),
					   N_("This needs the admin role."));
		return FALSE;
	case MS_AUTH_STATUS_THROTTLED:
		ms_metrics_auth_failure(self->metrics, MS_AUTH_FAILURE_THROTTLED);
		send_retry_after(request,
				 "too_many_failed_logins",
				 N_("Too many failed authentication attempts"),
				 result->retry_after_s);
		return FALSE;
	case MS_AUTH_STATUS_MISSING:
		send_unauthorized(
			self,
			request,
			MS_AUTH_FAILURE_MISSING,
			N_("Authentication required"),
			N_("Send a user name and password (Basic) or an API key (Bearer)."));
		return FALSE;
	case MS_AUTH_STATUS_MALFORMED:
		send_unauthorized(self,
				  request,
				  MS_AUTH_FAILURE_MALFORMED,
				  N_("Authentication required"),
				  N_("The Authorization header is malformed."));
		return FALSE;
	case MS_AUTH_STATUS_WRONG:
	default:
		send_unauthorized(self,
				  request,
				  MS_AUTH_FAILURE_WRONG,
				  N_("Authentication failed"),
				  N_("Unknown user, wrong password or unknown API key."));
		return FALSE;
	}
}

/* --- the filter ---------------------------------------------------------------------- */

/* everything after authentication; returns FALSE when the request was answered */
static gboolean
after_auth(MsGatewaySecurity *self, MsGatewayRequest *request, const MsAuthResult *result)
{
	const MsRoute *route = ms_gateway_request_get_route(request);
	const char *user = NULL;

	if (result != NULL) {
		SoupMessageHeaders *headers = ms_gateway_request_get_headers(request);

		if (!check_auth_result(self, request, result, required_role(route)))
			return FALSE;
		user = result->user;
		soup_message_headers_replace(headers, "X-Microsoup-User", result->user);
		soup_message_headers_replace(headers,
					     "X-Microsoup-Role",
					     ms_role_to_string(result->role));
	}
	if (route->rate_limit > 0) {
		const char *client =
			user != NULL ? user : ms_gateway_request_get_remote_addr(request);
		guint retry_after_s = 1;

		if (!ms_rate_limiter_consume(get_limiter(self, route),
					     client != NULL ? client : "",
					     g_get_monotonic_time(),
					     &retry_after_s)) {
			ms_metrics_route_rate_limited(
				ms_metrics_get_route(self->metrics, route->name));
			send_retry_after(request,
					 "rate_limited",
					 N_("Too many requests"),
					 retry_after_s);
			return FALSE;
		}
	}
	if (route->cache_ttl_s > 0)
		return ms_gateway_cache_apply(G_OBJECT(self),
					      self->cache,
					      self->cache_max_bytes,
					      self->metrics,
					      request,
					      user);
	return TRUE;
}

/* answers what needs no password hashing; %NULL when a thread must check a password */
static MsAuthResult *
authenticate_fast(MsGatewaySecurity *self, MsGatewayRequest *request, MsAuthHeader **header)
{
	*header = ms_auth_header_parse(
		soup_message_headers_get_one(ms_gateway_request_get_headers(request),
					     "Authorization"));
	return ms_authenticator_try_fast(self->authenticator,
					 *header,
					 ms_gateway_request_get_remote_addr(request),
					 g_get_monotonic_time());
}

/* --- a password hashed in a worker thread -------------------------------------------- */

typedef struct {
	MsGatewaySecurity *self;
	MsGatewayRequest *request;
} AuthWait;

/* suspends @request until the hash is checked; @callback gets an AuthWait */
static void
authenticate_in_thread(MsGatewaySecurity *self,
		       MsGatewayRequest *request,
		       MsAuthHeader *header,
		       GAsyncReadyCallback callback)
{
	AuthWait *wait = g_new0(AuthWait, 1);

	ms_gateway_request_suspend(request);
	wait->self = g_object_ref(self);
	wait->request = request;
	ms_authenticator_authenticate_async(self->authenticator,
					    header,
					    ms_gateway_request_get_remote_addr(request),
					    NULL,
					    callback,
					    wait);
}

/*
 * Ends the wait: the verdict, or %NULL when the client went away meanwhile
 * (the request is freed then). The request is resumed BEFORE it is answered:
 * an answer may end it at once (a front that writes it whole), and the core
 * frees a request finished while suspended only if the client went away.
 */
static MsAuthResult *
auth_wait_end(AuthWait *wait, GObject *source, GAsyncResult *res)
{
	g_autoptr(MsAuthResult) result =
		ms_authenticator_authenticate_finish(MS_AUTHENTICATOR(source), res, NULL);
	gboolean gone = wait->request->aborted;

	ms_gateway_request_resume(wait->request, FALSE);
	if (gone)
		return NULL;
	/* no cancellable, so the thread always has a verdict; a missing one is refused */
	if (result == NULL) {
		result = g_new0(MsAuthResult, 1);
		result->status = MS_AUTH_STATUS_WRONG;
	}
	return g_steal_pointer(&result);
}

static void
on_authenticated(GObject *source, GAsyncResult *res, gpointer user_data)
{
	AuthWait *wait = user_data;
	MsGatewayRequest *request = wait->request;
	g_autoptr(MsGatewaySecurity) self = g_steal_pointer(&wait->self);
	g_autoptr(MsAuthResult) result = auth_wait_end(wait, source, res);

	g_free(wait);
	if (result == NULL)
		return;
	/* allowed: suspended again only to go on to the next filters and the proxy */
	if (after_auth(self, request, result)) {
		ms_gateway_request_suspend(request);
		ms_gateway_request_resume(request, TRUE);
	}
}

static gboolean
is_preflight(MsGatewayRequest *request)
{
	return ms_gateway_request_get_method(request) == SOUP_METHOD_OPTIONS &&
	       soup_message_headers_get_one(ms_gateway_request_get_headers(request),
					    "Access-Control-Request-Method") != NULL;
}

static gboolean
security_filter(MsGatewayRequest *request, gpointer user_data)
{
	MsGatewaySecurity *self = user_data;
	const MsRoute *route = ms_gateway_request_get_route(request);
	MsCorsVerdict verdict;
	g_autoptr(MsAuthHeader) header = NULL;
	g_autoptr(MsAuthResult) result = NULL;

	/* the hot path of a plain route */
	if (route->auth == MS_ROUTE_AUTH_NONE && route->rate_limit == 0 &&
	    route->cache_ttl_s == 0 &&
	    (route->cors_origins == NULL || route->cors_origins[0] == NULL))
		return TRUE;

	verdict = ms_cors_evaluate((const char *const *)route->cors_origins,
				   (const char *const *)route->methods,
				   ms_gateway_request_get_method(request),
				   ms_gateway_request_get_headers(request),
				   ms_gateway_request_get_response_headers(request));
	if (verdict == MS_CORS_PREFLIGHT) {
		ms_gateway_request_respond(request, SOUP_STATUS_NO_CONTENT, NULL);
		return FALSE;
	}
	/* a preflight not answered above (no CORS, or no Origin) has nothing to allow */
	if (verdict == MS_CORS_FORBIDDEN || is_preflight(request)) {
		ms_gateway_request_problem(request,
					   SOUP_STATUS_FORBIDDEN,
					   "cors_forbidden",
					   N_("Cross-origin request not allowed"),
					   NULL);
		return FALSE;
	}

	if (route->auth == MS_ROUTE_AUTH_NONE)
		return after_auth(self, request, NULL);

	result = authenticate_fast(self, request, &header);
	if (result != NULL)
		return after_auth(self, request, result);

	/* a password to check with yescrypt: in a worker thread, not this loop */
	authenticate_in_thread(self, request, g_steal_pointer(&header), on_authenticated);
	return FALSE;
}

/* --- metrics --------------------------------------------------------------------------- */

static void
on_finished(MsGatewayRequest *request, gint64 duration_us, gpointer user_data)
{
	MsGatewaySecurity *self = user_data;

	ms_gateway_metrics_observe(self->metrics, request, duration_us);
}

/* answers GET /metrics for an admin, or refuses with the reason */
static void
metrics_send_checked(MsGatewaySecurity *self, MsGatewayRequest *request, const MsAuthResult *result)
{
	if (check_auth_result(self, request, result, MS_ROLE_ADMIN))
		ms_gateway_metrics_send(self->metrics, request);
}

static void
on_metrics_authenticated(GObject *source, GAsyncResult *res, gpointer user_data)
{
	AuthWait *wait = user_data;
	MsGatewayRequest *request = wait->request;
	g_autoptr(MsGatewaySecurity) self = g_steal_pointer(&wait->self);
	g_autoptr(MsAuthResult) result = auth_wait_end(wait, source, res);

	g_free(wait);
	if (result != NULL)
		metrics_send_checked(self, request, result);
}

static void
metrics_endpoint(MsGatewayRequest *request, gpointer user_data)
{
	MsGatewaySecurity *self = user_data;
	const char *method = ms_gateway_request_get_method(request);
	g_autoptr(MsAuthHeader) header = NULL;
	g_autoptr(MsGatewayConfig) config = NULL;
	g_autoptr(MsAuthResult) result = NULL;

	if (method != SOUP_METHOD_GET && method != SOUP_METHOD_HEAD) {
		soup_message_headers_replace(ms_gateway_request_get_response_headers(request),
					     "Allow",
					     "GET, HEAD");
		ms_gateway_request_problemf(request,
					    SOUP_STATUS_METHOD_NOT_ALLOWED,
					    "method_not_allowed",
					    N_("Method not allowed"),
					    N_("%s is not allowed here; use %s"),
					    method,
					    "GET, HEAD");
		return;
	}
	config = ms_gateway_dup_config(self->gateway);
	if (ms_gateway_config_get_globals(config)->metrics_allow == MS_METRICS_ALLOW_LOOPBACK &&
	    ms_gateway_metrics_is_local_client(request)) {
		ms_gateway_metrics_send(self->metrics, request);
		return;
	}
	result = authenticate_fast(self, request, &header);
	if (result != NULL) {
		metrics_send_checked(self, request, result);
		return;
	}
	/*
	 * suspended like a filtered request, so that a client gone meanwhile
	 * leaves the request to on_metrics_authenticated()
	 */
	authenticate_in_thread(self, request, g_steal_pointer(&header), on_metrics_authenticated);
}

/* --- life cycle ------------------------------------------------------------------------ */

/* SIGHUP: users and API keys are re-read with the config, and a bad file refuses both */
static gboolean
on_gateway_reload(MsGateway *gateway, MsGatewayConfig *config, gpointer user_data, GError **error)
{
	MsGatewaySecurity *self = user_data;
	g_autoptr(MsCredentials) credentials = ms_credentials_new_from_environment(error);

	if (credentials == NULL)
		return FALSE;
	ms_gateway_security_reload(self, credentials);
	return TRUE;
}

/**
 * ms_gateway_security_install:
 *
 * Adds the filter, the metrics finish hook, GET /metrics and the credentials'
 * reload to @gateway,
 * which must outlive @self's use (it keeps a plain pointer).
 */
void
ms_gateway_security_install(MsGatewaySecurity *self, MsGateway *gateway)
{
	self->gateway = gateway;
	ms_gateway_add_filter(gateway, security_filter, self);
	ms_gateway_add_finish_func(gateway, on_finished, self);
	ms_gateway_add_endpoint(gateway, "/metrics", metrics_endpoint, self);
	ms_gateway_add_reload_func(gateway, on_gateway_reload, self);
}

/**
 * ms_gateway_security_reload:
 *
 * After a configuration reload: the new users and keys, an empty cache (a
 * removed user's answers must not outlive the reload).
 */
void
ms_gateway_security_reload(MsGatewaySecurity *self, MsCredentials *credentials)
{
	ms_authenticator_set_credentials(self->authenticator, credentials);
	ms_response_cache_clear(self->cache);
}

/**
 * ms_gateway_security_expire:
 *
 * Drops idle rate-limit buckets; call it now and then (the status timer does).
 */
void
ms_gateway_security_expire(MsGatewaySecurity *self)
{
	g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&self->mutex);
	GHashTableIter iter;
	gpointer value;

	g_hash_table_iter_init(&iter, self->limiters);
	while (g_hash_table_iter_next(&iter, NULL, &value))
		ms_rate_limiter_expire(((RouteLimiter *)value)->limiter, g_get_monotonic_time());
}

MsMetrics *
ms_gateway_security_get_metrics(MsGatewaySecurity *self)
{
	return self->metrics;
}

/* Returns: (transfer none): the authenticator of every request, across reloads */
MsAuthenticator *
ms_gateway_security_get_authenticator(MsGatewaySecurity *self)
{
	return self->authenticator;
}

static void
ms_gateway_security_finalize(GObject *object)
{
	MsGatewaySecurity *self = MS_GATEWAY_SECURITY(object);

	g_object_unref(self->authenticator);
	ms_metrics_free(self->metrics);
	ms_response_cache_free(self->cache);
	g_hash_table_unref(self->limiters);
	g_ptr_array_unref(self->retired);
	g_mutex_clear(&self->mutex);
	G_OBJECT_CLASS(ms_gateway_security_parent_class)->finalize(object);
}

static void
ms_gateway_security_class_init(MsGatewaySecurityClass *klass)
{
	G_OBJECT_CLASS(klass)->finalize = ms_gateway_security_finalize;
}

static void
ms_gateway_security_init(MsGatewaySecurity *self)
{
	g_mutex_init(&self->mutex);
	self->metrics = ms_metrics_new();
	self->limiters = g_hash_table_new_full(g_str_hash,
					       g_str_equal,
					       g_free,
					       (GDestroyNotify)route_limiter_free);
	self->retired = g_ptr_array_new_with_free_func((GDestroyNotify)route_limiter_free);
}

/**
 * ms_gateway_security_new:
 * @cache_max_bytes: the response cache's size ([gateway] cache_max_bytes)
 */
MsGatewaySecurity *
ms_gateway_security_new(MsCredentials *credentials, guint64 cache_max_bytes)
{
	MsGatewaySecurity *self = g_object_new(MS_TYPE_GATEWAY_SECURITY, NULL);

	self->authenticator = ms_authenticator_new(credentials);
	self->cache_max_bytes = (gsize)MIN(cache_max_bytes, G_MAXSIZE);
	self->cache = ms_response_cache_new(self->cache_max_bytes);
	return self;
}
