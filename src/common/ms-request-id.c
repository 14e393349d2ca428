/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "ms-request-id.h"

#include <errno.h>
#include <string.h>
#include <sys/random.h>

/**
 * ms_request_id_is_sane:
 * @id: (nullable): a client-sent request id
 *
 * An incoming id is kept only when it is 1–128 characters of `[A-Za-z0-9._-]`,
 * so it is safe in a header, a log field and a JSON string without escaping.
 */
gboolean
ms_request_id_is_sane(const char *id)
{
	gsize n = 0;

	if (id == NULL || *id == '\0')
		return FALSE;
	for (const char *p = id; *p != '\0'; p++, n++) {
		if (n >= MS_REQUEST_ID_MAX_LENGTH)
			return FALSE;
		if (!g_ascii_isalnum(*p) && *p != '.' && *p != '_' && *p != '-')
			return FALSE;
	}
	return TRUE;
}

/* ids are made from this many random bytes, fetched at once */
#define RANDOM_POOL_SIZE 1024

/*
 * Fills @bytes from the thread's pool of random bytes, refilled by getrandom()
 * once every 64 ids. GLib's g_random_int() takes a process-wide lock per 32 bits
 * and its generator can be predicted from the ids it made; GLib has no call for
 * the kernel's random bytes, hence getrandom() by hand.
 */
static void
take_random_bytes(guint8 *bytes, gsize length)
{
	static __thread guint8 pool[RANDOM_POOL_SIZE];
	static __thread gsize used = RANDOM_POOL_SIZE;

	if (length > RANDOM_POOL_SIZE - used) {
		gsize filled = 0;

		while (filled < RANDOM_POOL_SIZE) {
			gssize n = getrandom(pool + filled, RANDOM_POOL_SIZE - filled, 0);

			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				break;
			filled += (gsize)n;
		}
		/* a kernel without getrandom(): GLib's generator, seeded from /dev/urandom */
		for (; filled < RANDOM_POOL_SIZE; filled++)
			pool[filled] = (guint8)g_random_int();
		used = 0;
	}
	memcpy(bytes, pool + used, length);
	used += length;
}

/**
 * ms_request_id_make:
 * @id: (out caller-allocates): where the id is written
 *
 * Writes a new random id: 128 bits as 32 lowercase hex digits.
 */
void
ms_request_id_make(char id[MS_REQUEST_ID_MADE_SIZE])
{
	static const char hex[] = "0123456789abcdef";
	guint8 bytes[(MS_REQUEST_ID_MADE_SIZE - 1) / 2];

	take_random_bytes(bytes, sizeof bytes);
	for (gsize i = 0; i < sizeof bytes; i++) {
		id[2 * i] = hex[bytes[i] >> 4];
		id[2 * i + 1] = hex[bytes[i] & 0xf];
	}
	id[MS_REQUEST_ID_MADE_SIZE - 1] = '\0';
}

/**
 * ms_request_id_new:
 *
 * Returns: a new random id, as ms_request_id_make() writes it
 */
char *
ms_request_id_new(void)
{
	char *id = g_malloc(MS_REQUEST_ID_MADE_SIZE);

	ms_request_id_make(id);
	return id;
}

/*
 * Keeps a sane incoming id on @request or puts a new one there, made in @made:
 * on the stack, as this runs for every request.
 *
 * Returns: (transfer none): the id, owned by @request or in @made
 */
static const char *
keep_or_make(SoupMessageHeaders *request, char made[MS_REQUEST_ID_MADE_SIZE])
{
	const char *id = soup_message_headers_get_one(request, MS_REQUEST_ID_HEADER);

	if (ms_request_id_is_sane(id))
		return id;
	ms_request_id_make(made);
	/* an absent header is appended: replacing it would first look for it again */
	if (id == NULL)
		soup_message_headers_append(request, MS_REQUEST_ID_HEADER, made);
	else
		soup_message_headers_replace(request, MS_REQUEST_ID_HEADER, made);
	return made;
}

/**
 * ms_request_id_ensure_headers:
 * @request: the request's headers
 * @response: the answer's headers
 *
 * Keeps a sane incoming id or makes one, and puts it on both the request (for the
 * handler and upstream calls) and the response (for the client).
 *
 * Returns: (transfer none): the id, owned by @request
 */
const char *
ms_request_id_ensure_headers(SoupMessageHeaders *request, SoupMessageHeaders *response)
{
	char made[MS_REQUEST_ID_MADE_SIZE];
	const char *id = keep_or_make(request, made);

	soup_message_headers_replace(response, MS_REQUEST_ID_HEADER, id);
	return id == made ? soup_message_headers_get_one(request, MS_REQUEST_ID_HEADER) : id;
}

/**
 * ms_request_id_assign:
 * @msg: a request whose headers have just been read, with no answer begun
 * @made: (out caller-allocates): where a new id is written
 *
 * Gives @msg its id, as its request is taken in: a sane incoming one or a new
 * one, appended to the response (which has none yet) without looking for one to
 * replace. Handlers read it with ms_request_id_get() and pass it on upstream. A
 * made id is not copied to the request, which then has none: that copy would cost
 * every request a header array; an insane incoming id is replaced there, so the
 * request never carries an id other than @msg's.
 *
 * Returns: (transfer none): the id, owned by @msg's request or in @made
 */
const char *
ms_request_id_assign(SoupServerMessage *msg, char made[MS_REQUEST_ID_MADE_SIZE])
{
	SoupMessageHeaders *request = soup_server_message_get_request_headers(msg);
	const char *id = soup_message_headers_get_one(request, MS_REQUEST_ID_HEADER);

	if (!ms_request_id_is_sane(id)) {
		ms_request_id_make(made);
		if (id != NULL)
			soup_message_headers_replace(request, MS_REQUEST_ID_HEADER, made);
		id = made;
	}
	soup_message_headers_append(soup_server_message_get_response_headers(msg),
				    MS_REQUEST_ID_HEADER,
				    id);
	return id;
}

/**
 * ms_request_id_ensure:
 * @msg: a request whose headers have been read
 *
 * ms_request_id_ensure_headers() on @msg's headers.
 *
 * Returns: (transfer none): the id
 */
const char *
ms_request_id_ensure(SoupServerMessage *msg)
{
	return ms_request_id_ensure_headers(soup_server_message_get_request_headers(msg),
					    soup_server_message_get_response_headers(msg));
}

/**
 * ms_request_id_get:
 *
 * Returns: (transfer none) (nullable): the id given to @msg by ms_request_id_ensure()
 */
const char *
ms_request_id_get(SoupServerMessage *msg)
{
	return soup_message_headers_get_one(soup_server_message_get_response_headers(msg),
					    MS_REQUEST_ID_HEADER);
}
