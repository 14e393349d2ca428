/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "ms-response.h"

/**
 * ms_response_status_phrase:
 *
 * Returns: (nullable): the reason phrase for @status where libsoup 3.2 has none
 *   of its own (it says "Unknown Error" for 429 and 431), else %NULL for libsoup's
 */
const char *
ms_response_status_phrase(guint status)
{
	switch (status) {
	case 429:
		return "Too Many Requests";
	case 431:
		return "Request Header Fields Too Large";
	default:
		return NULL;
	}
}

/**
 * ms_response_send_json:
 * @content_type: (nullable): %NULL for plain JSON
 * @body: the document to send
 *
 * Sets status, content type and body of @msg in one go; the body is handed to
 * libsoup without a copy.
 */
void
ms_response_send_json(SoupServerMessage *msg,
		      guint status,
		      const char *content_type,
		      JsonNode *body)
{
	gsize length = 0;
	char *text = json_to_string(body, FALSE);

	length = strlen(text);
	soup_server_message_set_status(msg, status, ms_response_status_phrase(status));
	soup_server_message_set_response(msg,
					 content_type != NULL ? content_type : MS_CONTENT_TYPE_JSON,
					 SOUP_MEMORY_TAKE,
					 text,
					 length);
}

/**
 * ms_response_json_bytes:
 *
 * Returns: (transfer full): @body as ms_response_send_json() sends it, for
 *   ms_response_send_json_bytes()
 */
GBytes *
ms_response_json_bytes(JsonNode *body)
{
	char *text = json_to_string(body, FALSE);

	return g_bytes_new_take(text, strlen(text));
}

/**
 * ms_response_send_json_bytes:
 * @content_type: (nullable): %NULL for plain JSON
 * @body: a document from ms_response_json_bytes()
 *
 * ms_response_send_json() for a document serialized once and sent many times;
 * libsoup keeps a reference to @body rather than a copy.
 */
void
ms_response_send_json_bytes(SoupServerMessage *msg,
			    guint status,
			    const char *content_type,
			    GBytes *body)
{
	soup_server_message_set_status(msg, status, ms_response_status_phrase(status));
	/*
	 * the content type goes in whole, as libsoup's own setter has it: no name to
	 * look up, nothing taken apart and put together again, on every request
	 */
	soup_server_message_set_response(msg,
					 content_type != NULL ? content_type : MS_CONTENT_TYPE_JSON,
					 SOUP_MEMORY_STATIC,
					 NULL,
					 0);
	soup_message_body_append_bytes(soup_server_message_get_response_body(msg), body);
}
