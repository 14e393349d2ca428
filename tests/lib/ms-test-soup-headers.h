/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <libsoup/soup.h>
#include <string.h>

#include "gateway/core/ms-http-fields.h"

/*
 * The gateway takes heads apart itself (src/gateway/adapters/http1): what it
 * accepts must read exactly as libsoup's own parser reads it, which the rest
 * of the gateway and libsoup's users expect. Header-only, for the unit tests
 * and the fuzz targets alike.
 */

/* TRUE when @a and @b hold the same fields, in the same order */
static inline gboolean
ms_test_soup_headers_same(SoupMessageHeaders *a, SoupMessageHeaders *b)
{
	SoupMessageHeadersIter ia, ib;
	const char *name_a, *value_a, *name_b, *value_b;

	soup_message_headers_iter_init(&ia, a);
	soup_message_headers_iter_init(&ib, b);
	for (;;) {
		gboolean more_a = soup_message_headers_iter_next(&ia, &name_a, &value_a);
		gboolean more_b = soup_message_headers_iter_next(&ib, &name_b, &value_b);

		if (more_a != more_b)
			return FALSE;
		if (!more_a)
			return TRUE;
		if (strcmp(name_a, name_b) != 0 || strcmp(value_a, value_b) != 0)
			return FALSE;
	}
}

/*
 * TRUE when the gateway's @fields hold what libsoup's @theirs hold. libsoup
 * keeps the names it knows apart from the others (its iteration is not the
 * order of the head), so the gateway's fields are put in a libsoup table of
 * their own, in order, and the two tables compared: the same names, the same
 * values, the same order among the fields libsoup keeps together. Each field
 * must also have the id of its name, and slices as long as their strings.
 */
static inline gboolean
ms_test_headers_same(MsHttpFields *fields, SoupMessageHeaders *theirs)
{
	SoupMessageHeaders *ours = soup_message_headers_new(SOUP_MESSAGE_HEADERS_REQUEST);
	MsHttpFieldsIter iter;
	const MsHttpField *field;
	gboolean same = TRUE;

	ms_http_fields_iter_init(&iter, fields);
	while ((field = ms_http_fields_iter_next(&iter)) != NULL) {
		if (strlen(field->name) != field->name_length ||
		    strlen(field->value) != field->value_length ||
		    field->id != ms_http_field_id(field->name, field->name_length))
			same = FALSE;
		soup_message_headers_append(ours, field->name, field->value);
	}
	same = same && ms_test_soup_headers_same(ours, theirs);
	soup_message_headers_unref(ours);
	return same;
}

/* what libsoup's parser made of some field lines, in the gateway's table */
static inline MsHttpFields *
ms_test_fields_from_soup(SoupMessageHeaders *headers)
{
	MsHttpFields *fields = ms_http_fields_new();
	SoupMessageHeadersIter iter;
	const char *name, *value;

	soup_message_headers_iter_init(&iter, headers);
	while (soup_message_headers_iter_next(&iter, &name, &value))
		ms_http_fields_append(fields, name, value);
	return fields;
}

/* TRUE when libsoup reads the request head @data as @headers, @method, @target */
static inline gboolean
ms_test_request_head_as_libsoup(const char *data,
				gsize length,
				MsHttpFields *headers,
				const char *method,
				const char *target,
				SoupHTTPVersion version)
{
	SoupMessageHeaders *theirs = soup_message_headers_new(SOUP_MESSAGE_HEADERS_REQUEST);
	char *their_method = NULL;
	char *their_target = NULL;
	SoupHTTPVersion their_version = SOUP_HTTP_1_1;
	guint status = soup_headers_parse_request(data,
						  (int)length,
						  theirs,
						  &their_method,
						  &their_target,
						  &their_version);
	gboolean same = status == SOUP_STATUS_OK && strcmp(method, their_method) == 0 &&
			strcmp(target, their_target) == 0 && version == their_version &&
			ms_test_headers_same(headers, theirs);

	g_free(their_method);
	g_free(their_target);
	soup_message_headers_unref(theirs);
	return same;
}

/* TRUE when libsoup reads the response head @data as @headers, @status, @reason */
static inline gboolean
ms_test_response_head_as_libsoup(const char *data,
				 gsize length,
				 MsHttpFields *headers,
				 SoupHTTPVersion version,
				 guint status,
				 const char *reason)
{
	SoupMessageHeaders *theirs = soup_message_headers_new(SOUP_MESSAGE_HEADERS_RESPONSE);
	SoupHTTPVersion their_version = SOUP_HTTP_1_1;
	guint their_status = 0;
	char *their_reason = NULL;
	gboolean same = soup_headers_parse_response(data,
						    (int)length,
						    theirs,
						    &their_version,
						    &their_status,
						    &their_reason) &&
			version == their_version && status == their_status &&
			strcmp(reason, their_reason) == 0 && ms_test_headers_same(headers, theirs);

	g_free(their_reason);
	soup_message_headers_unref(theirs);
	return same;
}
