/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

#include "gateway/core/policy/ms-credentials.h"

G_BEGIN_DECLS

/*
 * What one client connection last proved: the Authorization value it sent,
 * checked in full, and whom it names. A keep-alive client sends the same value
 * with every request; the next ones are let through on a comparison of the
 * bytes instead of a check (see ms-auth-memo.c). Plain data, kept by the
 * front per connection; all zeros is an empty memo.
 */
typedef struct {
	char *authorization; /* as sent; wiped when forgotten */
	gsize length;
	char *user;
	MsRole role;
	guint generation; /* of the credentials it was checked against */
	gint64 expires_us;
} MsAuthMemo;

gboolean
ms_auth_memo_recall(const MsAuthMemo *memo,
		    const char *authorization,
		    guint generation,
		    gint64 now_us,
		    const char **user,
		    MsRole *role);
void
ms_auth_memo_remember(MsAuthMemo *memo,
		      const char *authorization,
		      const char *user,
		      MsRole role,
		      guint generation,
		      gint64 now_us);
void
ms_auth_memo_forget(MsAuthMemo *memo);

G_END_DECLS
