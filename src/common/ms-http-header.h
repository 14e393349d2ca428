/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * @name is the field name @expected, in any case (RFC 9110 §5.1). @expected is
 * written as usual ("Content-Length"). Inline and letter by letter: the gateway
 * asks this several times for every header it forwards, and most names differ
 * from the one asked for at their first or second letter.
 */
static inline gboolean
ms_http_header_name_is(const char *name, const char *expected)
{
	for (; *expected != '\0'; name++, expected++) {
		/* ^ 0x20 swaps the case of a letter; only letters may match that way */
		if (*name != *expected &&
		    !(g_ascii_isalpha(*expected) && (*name ^ 0x20) == *expected))
			return FALSE;
	}
	return *name == '\0';
}

gboolean
ms_http_header_is_hop_by_hop(const char *name);
GHashTable *
ms_http_connection_options_new(const char *connection);

G_END_DECLS
