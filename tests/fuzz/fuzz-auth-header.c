/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <string.h>

#include "gateway/core/policy/ms-auth-header.h"

int
LLVMFuzzerTestOneInput(const guint8 *data, size_t size);

/*
 * libFuzzer target for the Authorization header parser: any bytes must give
 * a result (never a crash, never unbounded work), and what it accepts must
 * keep the parser's promises.
 */
int
LLVMFuzzerTestOneInput(const guint8 *data, size_t size)
{
	g_autoptr(MsAuthHeader) header = ms_auth_header_parse_len((const char *)data, size);

	switch (header->scheme) {
	case MS_AUTH_SCHEME_BASIC:
		g_assert(size <= MS_AUTH_HEADER_MAX_LEN);
		g_assert(header->user != NULL && header->secret != NULL);
		g_assert(*header->user != '\0');
		g_assert(strchr(header->user, ':') == NULL);
		g_assert(g_utf8_validate(header->user, -1, NULL));
		g_assert(g_utf8_validate(header->secret, -1, NULL));
		g_assert(strlen(header->user) + strlen(header->secret) < size);
		break;
	case MS_AUTH_SCHEME_BEARER:
		g_assert(size <= MS_AUTH_HEADER_MAX_LEN);
		g_assert(header->user == NULL && header->secret != NULL);
		g_assert(*header->secret != '\0');
		g_assert(strlen(header->secret) < size);
		break;
	case MS_AUTH_SCHEME_INVALID:
		g_assert(header->user == NULL && header->secret == NULL);
		g_assert(header->reason != NULL);
		break;
	case MS_AUTH_SCHEME_NONE:
	default:
		g_assert_not_reached();
	}
	return 0;
}
