/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>

#include "gateway/core/policy/ms-auth-header.h"
#include "gateway/core/policy/ms-credentials.h"

G_BEGIN_DECLS

/* journald catalog id of "client blocked after repeated authentication failures" */
#define MS_MESSAGE_ID_AUTH_THROTTLED "c7661007cdef44a28469f6db60f1f8b5"

/* failed attempts per client address: a burst of 10, then one more every 6 s */
#define MS_AUTH_FAILURE_BURST      10
#define MS_AUTH_FAILURE_PER_MINUTE 10
/* how long a verified password is remembered so Basic auth does not run yescrypt per request */
#define MS_AUTH_VERIFIED_TTL_S 300

typedef enum {
	MS_AUTH_STATUS_OK,
	MS_AUTH_STATUS_MISSING,   /* 401 */
	MS_AUTH_STATUS_MALFORMED, /* 401 */
	MS_AUTH_STATUS_WRONG,     /* 401: unknown user, wrong password, unknown key */
	MS_AUTH_STATUS_THROTTLED, /* 429 with Retry-After */
} MsAuthStatus;

typedef struct {
	MsAuthStatus status;
	char *user; /* OK only */
	MsRole role;
	guint retry_after_s; /* THROTTLED only */
	const char *reason;  /* English, for the log; never a credential */
} MsAuthResult;

void
ms_auth_result_free(MsAuthResult *result);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MsAuthResult, ms_auth_result_free)

#define MS_TYPE_AUTHENTICATOR (ms_authenticator_get_type())
G_DECLARE_FINAL_TYPE(MsAuthenticator, ms_authenticator, MS, AUTHENTICATOR, GObject)

MsAuthenticator *
ms_authenticator_new(MsCredentials *credentials);
void
ms_authenticator_set_credentials(MsAuthenticator *self, MsCredentials *credentials);
guint
ms_authenticator_get_generation(MsAuthenticator *self);
MsAuthResult *
ms_authenticator_try_fast(MsAuthenticator *self,
			  const MsAuthHeader *header,
			  const char *client_address,
			  gint64 now_us);
MsAuthResult *
ms_authenticator_authenticate(MsAuthenticator *self,
			      const MsAuthHeader *header,
			      const char *client_address,
			      gint64 now_us);
void
ms_authenticator_authenticate_async(MsAuthenticator *self,
				    MsAuthHeader *header,
				    const char *client_address,
				    GCancellable *cancellable,
				    GAsyncReadyCallback callback,
				    gpointer user_data);
MsAuthResult *
ms_authenticator_authenticate_finish(MsAuthenticator *self, GAsyncResult *result, GError **error);
guint
ms_authenticator_get_n_password_checks(MsAuthenticator *self);
gboolean
ms_auth_result_allows(const MsAuthResult *result, MsRole required);

G_END_DECLS
