/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "gateway/service/ms-inbound-headers.h"

#include <string.h>

#include "common/ms-http-header.h"

/*
 * A client's request headers are cleaned once, when its request begins, so
 * that everything after (routing, policies, the cache key, the proxy and the
 * aggregation) sees the one set of fields the upstream will get:
 *
 * - hop-by-hop fields and every field the client's Connection header names
 *   (RFC 9110 §7.6.1) go; this happens before the gateway adds its own fields,
 *   so Connection cannot take those away;
 * - what only the gateway may say goes: the identity its authentication
 *   sets, the request id, X-Forwarded-Proto, and the forwarding fields it does
 *   not vouch for (X-Forwarded-Host, Forwarded, X-Real-IP), which a cache
 *   would otherwise replay;
 * - any name with '_' goes, as nginx drops them by default: many frameworks
 *   read X_Microsoup_User and X-Microsoup-User as one variable.
 */

static gboolean
is_gateway_owned(MsHttpFieldId id)
{
	switch (id) {
	case MS_HTTP_FIELD_X_MICROSOUP_USER:
	case MS_HTTP_FIELD_X_MICROSOUP_ROLE:
	case MS_HTTP_FIELD_X_REQUEST_ID:
	case MS_HTTP_FIELD_X_FORWARDED_PROTO:
	case MS_HTTP_FIELD_X_FORWARDED_HOST:
	case MS_HTTP_FIELD_X_REAL_IP:
	case MS_HTTP_FIELD_FORWARDED:
		return TRUE;
	default:
		return ms_http_field_is_hop_by_hop(id);
	}
}

static gboolean
is_dropped(const MsHttpField *field, GHashTable *listed)
{
	/* no name the gateway knows has a '_' */
	if (field->id != MS_HTTP_FIELD_OTHER ? is_gateway_owned(field->id)
					     : memchr(field->name, '_', field->name_length) != NULL)
		return TRUE;
	return listed != NULL && g_hash_table_contains(listed, field->name);
}

/**
 * ms_inbound_headers_sanitize:
 * @headers: a client's request headers, after the front decided the framing
 *
 * One pass: a dropped field's slot is marked dead, so however many a hostile
 * client sent, this stays linear in the head.
 */
void
ms_inbound_headers_sanitize(MsHttpFields *headers)
{
	g_autoptr(GHashTable) listed = ms_http_connection_options_new(
		ms_http_fields_get_list_id(headers, MS_HTTP_FIELD_CONNECTION));
	MsHttpFieldsIter iter;
	const MsHttpField *field;

	ms_http_fields_iter_init(&iter, headers);
	while ((field = ms_http_fields_iter_next(&iter)) != NULL) {
		if (is_dropped(field, listed))
			ms_http_fields_iter_remove(&iter);
	}
}
