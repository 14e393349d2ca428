/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <string.h>
#include <sys/random.h>

#include "gateway/core/policy/ms-authenticator.h"
#include "gateway/core/policy/ms-rate-limiter.h"

/*
 * Turns what a client presented (a parsed Authorization header) and where it
 * came from into a user and role, or a reason to refuse.
 *
 * - failed attempts are limited per client address (MS_AUTH_FAILURE_*): once
 *   over, the client gets THROTTLED without any password being checked;
 * - a password check is yescrypt, ~20 ms of CPU: a successful one is remembered
 *   for MS_AUTH_VERIFIED_TTL_S as an HMAC of user and password under a per-process
 *   random key, so the next request of that user costs one HMAC, not yescrypt;
 * - credentials are swapped whole on reload; the remembered passwords are dropped.
 *
 * Thread-safe: the async variant runs yescrypt in a GTask worker thread.
 */

#define VERIFIED_MAX_ENTRIES 4096

typedef struct {
	guint8 mac[32];
	MsRole role;
	gint64 expires_us;
} Verified;

struct _MsAuthenticator {
	GObject parent_instance;
	GMutex mutex; /* guards credentials (the pointer) and verified */
	MsCredentials *credentials;
	GHashTable *verified; /* user → Verified */
	guint8 hmac_key[32];
	MsRateLimiter *failures; /* keyed by client address */
	guint n_password_checks; /* atomic: yescrypt runs, so tests can see one was saved */
	guint generation;        /* atomic: one more at each reload of the credentials */
};

G_DEFINE_TYPE(MsAuthenticator, ms_authenticator, G_TYPE_OBJECT)

void
ms_auth_result_free(MsAuthResult *result)
{
	if (result == NULL)
		return;
	g_free(result->user);
	g_free(result);
}

/**
 * ms_auth_result_allows:
 *
 * Whether an authenticated result has at least the @required role.
 */
gboolean
ms_auth_result_allows(const MsAuthResult *result, MsRole required)
{
	return result->status == MS_AUTH_STATUS_OK && result->role >= required;
}

static MsAuthResult *
result_new(MsAuthStatus status, const char *reason)
{
	MsAuthResult *result = g_new0(MsAuthResult, 1);
	result->status = status;
	result->reason = reason;
	return result;
}

static MsAuthResult *
result_ok(const char *user, MsRole role)
{
	MsAuthResult *result = result_new(MS_AUTH_STATUS_OK, NULL);
	result->user = g_strdup(user);
	result->role = role;
	return result;
}

static void
password_mac(MsAuthenticator *self, const MsAuthHeader *header, guint8 *mac)
{
	g_autoptr(GHmac) hmac =
		g_hmac_new(G_CHECKSUM_SHA256, self->hmac_key, sizeof(self->hmac_key));
	gsize len = 32;

	/* the user name cannot contain a colon, so this encoding is unambiguous */
	g_hmac_update(hmac, (const guchar *)header->user, strlen(header->user));
	g_hmac_update(hmac, (const guchar *)":", 1);
	g_hmac_update(hmac, (const guchar *)header->secret, strlen(header->secret));
	g_hmac_get_digest(hmac, mac, &len);
}

/* records one failure and logs (once) when it puts the client over its limit */
static void
record_failure(MsAuthenticator *self, const char *client_address, gint64 now_us)
{
	ms_rate_limiter_consume(self->failures, client_address, now_us, NULL);
	if (!ms_rate_limiter_check(self->failures, client_address, now_us, NULL)) {
		/* ms-runtime.c gives the log and the program one identifier */
		const char *identifier = g_get_prgname();

		/* ms_log_fields()'s fields, with GLib alone: core links no common library */
		g_log_structured(G_LOG_DOMAIN,
				 G_LOG_LEVEL_MESSAGE,
				 "MESSAGE_ID",
				 MS_MESSAGE_ID_AUTH_THROTTLED,
				 "REMOTE_ADDR",
				 client_address,
				 "SYSLOG_IDENTIFIER",
				 identifier != NULL ? identifier : "microsoup",
				 "CODE_FILE",
				 __FILE__,
				 "CODE_LINE",
				 G_STRINGIFY(__LINE__),
				 "CODE_FUNC",
				 G_STRFUNC,
				 "MESSAGE",
				 "Client %s blocked after %u failed authentication attempts",
				 client_address,
				 (guint)MS_AUTH_FAILURE_BURST);
	}
}

static MsAuthResult *
check_throttled(MsAuthenticator *self, const char *client_address, gint64 now_us)
{
	guint retry_after_s = 0;
	MsAuthResult *result;

	if (ms_rate_limiter_check(self->failures, client_address, now_us, &retry_after_s))
		return NULL;
	result = result_new(MS_AUTH_STATUS_THROTTLED, "too many failed attempts");
	result->retry_after_s = retry_after_s;
	return result;
}

/**
 * ms_authenticator_try_fast:
 *
 * Answers whatever needs no password hashing: no header, malformed, throttled,
 * API keys, remembered passwords.
 *
 * Returns: (transfer full) (nullable): %NULL when a password must be checked
 */
MsAuthResult *
ms_authenticator_try_fast(MsAuthenticator *self,
			  const MsAuthHeader *header,
			  const char *client_address,
			  gint64 now_us)
{
	MsAuthResult *result;

	/* a client on a Unix socket has no address: they share one failure budget */
	if (client_address == NULL)
		client_address = "local";
	if (header->scheme == MS_AUTH_SCHEME_NONE)
		return result_new(MS_AUTH_STATUS_MISSING, header->reason);
	result = check_throttled(self, client_address, now_us);
	if (result != NULL)
		return result;
	if (header->scheme == MS_AUTH_SCHEME_INVALID) {
		record_failure(self, client_address, now_us);
		return result_new(MS_AUTH_STATUS_MALFORMED, header->reason);
	}
	if (header->scheme == MS_AUTH_SCHEME_BEARER) {
		g_autoptr(MsCredentials) credentials = NULL;
		const char *name = NULL;
		MsRole role = MS_ROLE_NONE;

		g_mutex_lock(&self->mutex);
		credentials = g_object_ref(self->credentials);
		g_mutex_unlock(&self->mutex);
		if (ms_credentials_check_api_key(credentials, header->secret, &name, &role))
			return result_ok(name, role);
		record_failure(self, client_address, now_us);
		return result_new(MS_AUTH_STATUS_WRONG, "unknown API key");
	}

	/* basic: a password verified a short while ago? */
	{
		g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&self->mutex);
		Verified *verified = g_hash_table_lookup(self->verified, header->user);
		guint8 mac[32];

		if (verified == NULL || verified->expires_us <= now_us)
			return NULL;
		password_mac(self, header, mac);
		if (ms_constant_time_equal(mac, sizeof(mac), verified->mac, sizeof(verified->mac)))
			return result_ok(header->user, verified->role);
	}
	return NULL;
}

static void
remember_locked(MsAuthenticator *self, const MsAuthHeader *header, MsRole role, gint64 now_us)
{
	Verified *verified = g_new0(Verified, 1);

	/* bounded: a full table is simply forgotten, it refills at the yescrypt rate */
	if (g_hash_table_size(self->verified) >= VERIFIED_MAX_ENTRIES)
		g_hash_table_remove_all(self->verified);
	password_mac(self, header, verified->mac);
	verified->role = role;
	verified->expires_us = now_us + MS_AUTH_VERIFIED_TTL_S * G_USEC_PER_SEC;
	g_hash_table_replace(self->verified, g_strdup(header->user), verified);
}

/**
 * ms_authenticator_authenticate:
 *
 * May run yescrypt: call it from a worker thread (see the async variant).
 *
 * Returns: (transfer full): never %NULL
 */
MsAuthResult *
ms_authenticator_authenticate(MsAuthenticator *self,
			      const MsAuthHeader *header,
			      const char *client_address,
			      gint64 now_us)
{
	g_autoptr(MsCredentials) credentials = NULL;
	MsAuthResult *result;
	MsRole role = MS_ROLE_NONE;

	g_return_val_if_fail(MS_IS_AUTHENTICATOR(self), NULL);
	g_return_val_if_fail(header != NULL, NULL);

	result = ms_authenticator_try_fast(self, header, client_address, now_us);
	if (result != NULL)
		return result;
	if (client_address == NULL)
		client_address = "local";

	g_mutex_lock(&self->mutex);
	credentials = g_object_ref(self->credentials);
	g_mutex_unlock(&self->mutex);
	g_atomic_int_inc(&self->n_password_checks);
	if (!ms_credentials_check_password(credentials, header->user, header->secret, &role)) {
		record_failure(self, client_address, now_us);
		return result_new(MS_AUTH_STATUS_WRONG, "unknown user or wrong password");
	}
	g_mutex_lock(&self->mutex);
	/* a reload during the check makes this answer stale: do not remember it */
	if (credentials == self->credentials)
		remember_locked(self, header, role, now_us);
	g_mutex_unlock(&self->mutex);
	return result_ok(header->user, role);
}

typedef struct {
	MsAuthHeader *header;
	char *client_address;
	gint64 now_us;
} AuthCall;

static void
auth_call_free(AuthCall *call)
{
	ms_auth_header_free(call->header);
	g_free(call->client_address);
	g_free(call);
}

static void
authenticate_thread(GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
	AuthCall *call = task_data;

	g_task_return_pointer(task,
			      ms_authenticator_authenticate(MS_AUTHENTICATOR(source),
							    call->header,
							    call->client_address,
							    call->now_us),
			      (GDestroyNotify)ms_auth_result_free);
}

/**
 * ms_authenticator_authenticate_async:
 * @header: (transfer full): the parsed Authorization header
 *
 * ms_authenticator_authenticate() in a worker thread, for a caller that
 * already had ms_authenticator_try_fast() answer %NULL.
 */
void
ms_authenticator_authenticate_async(MsAuthenticator *self,
				    MsAuthHeader *header,
				    const char *client_address,
				    GCancellable *cancellable,
				    GAsyncReadyCallback callback,
				    gpointer user_data)
{
	g_autoptr(GTask) task = g_task_new(self, cancellable, callback, user_data);
	AuthCall *call = g_new0(AuthCall, 1);

	g_task_set_source_tag(task, ms_authenticator_authenticate_async);
	call->header = header;
	call->client_address = g_strdup(client_address);
	call->now_us = g_get_monotonic_time();
	g_task_set_task_data(task, call, (GDestroyNotify)auth_call_free);
	g_task_run_in_thread(task, authenticate_thread);
}

MsAuthResult *
ms_authenticator_authenticate_finish(MsAuthenticator *self, GAsyncResult *result, GError **error)
{
	g_return_val_if_fail(g_task_is_valid(result, self), NULL);
	return g_task_propagate_pointer(G_TASK(result), error);
}

/**
 * ms_authenticator_get_n_password_checks:
 *
 * Returns: how many passwords were checked with yescrypt, rather than answered
 * from the ones remembered
 */
guint
ms_authenticator_get_n_password_checks(MsAuthenticator *self)
{
	g_return_val_if_fail(MS_IS_AUTHENTICATOR(self), 0);
	return (guint)g_atomic_int_get(&self->n_password_checks);
}

/**
 * ms_authenticator_set_credentials:
 *
 * Swaps in the credentials of a reload; remembered passwords are forgotten
 * (a removed user or a changed role must not outlive the reload).
 */
void
ms_authenticator_set_credentials(MsAuthenticator *self, MsCredentials *credentials)
{
	g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&self->mutex);

	g_set_object(&self->credentials, credentials);
	g_hash_table_remove_all(self->verified);
	g_atomic_int_inc(&self->generation);
}

/**
 * ms_authenticator_get_generation:
 *
 * Returns: a number that changes when the credentials are reloaded: what was
 *   verified under another one may no longer hold (see ms-auth-memo.c)
 */
guint
ms_authenticator_get_generation(MsAuthenticator *self)
{
	return (guint)g_atomic_int_get(&self->generation);
}

static void
ms_authenticator_finalize(GObject *object)
{
	MsAuthenticator *self = MS_AUTHENTICATOR(object);

	g_clear_object(&self->credentials);
	g_hash_table_unref(self->verified);
	ms_rate_limiter_free(self->failures);
	explicit_bzero(self->hmac_key, sizeof(self->hmac_key));
	g_mutex_clear(&self->mutex);
	G_OBJECT_CLASS(ms_authenticator_parent_class)->finalize(object);
}

static void
ms_authenticator_class_init(MsAuthenticatorClass *klass)
{
	G_OBJECT_CLASS(klass)->finalize = ms_authenticator_finalize;
}

static void
ms_authenticator_init(MsAuthenticator *self)
{
	g_mutex_init(&self->mutex);
	self->verified = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	/* 32 bytes from getrandom() never come short once the pool is ready */
	if (getrandom(self->hmac_key, sizeof(self->hmac_key), 0) != sizeof(self->hmac_key)) {
		for (guint i = 0; i < sizeof(self->hmac_key); i += 4) {
			guint32 r = g_random_int();
			memcpy(self->hmac_key + i, &r, 4);
		}
	}
	self->failures =
		ms_rate_limiter_new(MS_AUTH_FAILURE_PER_MINUTE / 60.0, MS_AUTH_FAILURE_BURST, 0);
}

MsAuthenticator *
ms_authenticator_new(MsCredentials *credentials)
{
	MsAuthenticator *self = g_object_new(MS_TYPE_AUTHENTICATOR, NULL);
	self->credentials = g_object_ref(credentials);
	return self;
}
