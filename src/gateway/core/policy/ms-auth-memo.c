/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "gateway/core/policy/ms-auth-memo.h"

#include <string.h>

#include "gateway/core/policy/ms-authenticator.h"

/*
 * Why per connection: a request's credentials are checked against a keyed
 * hash of the password remembered for a while (ms-authenticator.c), which
 * costs a keep-alive client more than the rest of its request. Its next
 * requests on the same connection send the same bytes: comparing them with the
 * ones already checked there proves as much, for the cost of a comparison.
 *
 * What keeps it safe: only a value that was checked in full and let through is
 * kept; it is compared in constant time; it lasts no longer than the
 * authenticator remembers a password (MS_AUTH_VERIFIED_TTL_S) and not past a
 * reload of the credentials (the generation); it never leaves the connection,
 * and its bytes are wiped when it is forgotten or the connection closes.
 */

/**
 * ms_auth_memo_recall:
 * @authorization: the Authorization value of the connection's new request
 * @generation: the credentials' generation now (ms_authenticator_get_generation())
 * @user: (out) (transfer none): whom it names, valid until the memo changes
 *
 * Returns: %TRUE when @authorization is the value checked last on this
 *   connection, still fresh and checked against the current credentials
 */
gboolean
ms_auth_memo_recall(const MsAuthMemo *memo,
		    const char *authorization,
		    guint generation,
		    gint64 now_us,
		    const char **user,
		    MsRole *role)
{
	if (memo->authorization == NULL || authorization == NULL ||
	    memo->generation != generation || memo->expires_us <= now_us)
		return FALSE;
	if (!ms_constant_time_equal(memo->authorization,
				    memo->length,
				    authorization,
				    strlen(authorization)))
		return FALSE;
	*user = memo->user;
	*role = memo->role;
	return TRUE;
}

/**
 * ms_auth_memo_remember:
 * @authorization: a value just checked in full and let through
 *
 * Keeps @authorization for the connection's next requests, in place of what
 * the memo held.
 */
void
ms_auth_memo_remember(MsAuthMemo *memo,
		      const char *authorization,
		      const char *user,
		      MsRole role,
		      guint generation,
		      gint64 now_us)
{
	ms_auth_memo_forget(memo);
	memo->length = strlen(authorization);
	memo->authorization = g_strndup(authorization, memo->length);
	memo->user = g_strdup(user);
	memo->role = role;
	memo->generation = generation;
	memo->expires_us = now_us + MS_AUTH_VERIFIED_TTL_S * G_USEC_PER_SEC;
}

/* empties the memo, its credentials' bytes overwritten first */
void
ms_auth_memo_forget(MsAuthMemo *memo)
{
	if (memo->authorization != NULL)
		explicit_bzero(memo->authorization, memo->length);
	g_free(memo->authorization);
	g_free(memo->user);
	memset(memo, 0, sizeof *memo);
}
