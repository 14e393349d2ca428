/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* longest Authorization header we look at; longer is malformed, never decoded */
#define MS_AUTH_HEADER_MAX_LEN 4096

typedef enum {
	MS_AUTH_SCHEME_NONE,   /* no header at all */
	MS_AUTH_SCHEME_BASIC,  /* RFC 7617 */
	MS_AUTH_SCHEME_BEARER, /* RFC 6750, the token is an API key */
	MS_AUTH_SCHEME_INVALID,
} MsAuthScheme;

/*
 * MsAuthHeader: what a client presented. @user/@secret are owned copies that
 * are wiped on free; @reason says in English why a header is invalid (for logs,
 * it never contains the credential itself).
 */
typedef struct {
	MsAuthScheme scheme;
	char *user;   /* basic only */
	char *secret; /* basic: the password; bearer: the token */
	const char *reason;
} MsAuthHeader;

MsAuthHeader *
ms_auth_header_parse(const char *value);
MsAuthHeader *
ms_auth_header_parse_len(const char *value, gsize len);
void
ms_auth_header_free(MsAuthHeader *header);
void
ms_secure_free(char *str);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(MsAuthHeader, ms_auth_header_free)

G_END_DECLS
