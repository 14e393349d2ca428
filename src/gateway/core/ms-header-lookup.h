/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/**
 * MsHeaderLookupFunc:
 * @headers: a message's header fields, held however the caller holds them
 * @name: a field name, any case
 *
 * How core reads a field of a message it does not hold: the response cache
 * compares a stored answer's Vary fields with a request's, whether the request
 * is the gateway's MsHttpFields or, in its tests, a plain list of pairs.
 *
 * Returns: (nullable): the field's value, its lines joined with ", " (RFC 9110
 *   section 5.3), or %NULL when the message has no such field
 */
typedef const char *(*MsHeaderLookupFunc)(gconstpointer headers, const char *name);

G_END_DECLS
