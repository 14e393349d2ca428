/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "ms-log-access.h"

#include "ms-log.h"

#include <string.h>

/*
 * The access entry: one per request, so its cost is every request's. On stderr
 * with nothing watching the log (the usual case off journald), the line is
 * written straight into this thread's batch: no fields, no writer, no copy. Any
 * other way (journald, a test's capture or expectation) takes the same entry as
 * structured fields through ms_log_fields(), whose stderr line has the same bytes.
 */

static char *
put(char *at, const char *text, gsize length)
{
	memcpy(at, text, length);
	return at + length;
}

/* " key=value" when there is a value: what write_stderr_line() adds for the field */
#define FIELD_LENGTH(key, value, length) ((value) != NULL ? sizeof(" " key "=") - 1 + (length) : 0)
#define PUT_FIELD(at, key, value, length)                                                          \
	((value) != NULL ? put(put((at), " " key "=", sizeof(" " key "=") - 1), (value), (length)) \
			 : (at))

static gsize
length_of(const char *text)
{
	return text != NULL ? strlen(text) : 0;
}

/*
 * The line's pieces are measured first and copied into room made once: a GString
 * append per piece costs more than the copying.
 */
static void
write_plain_line(GString *line, const MsAccessEntry *entry)
{
	char status_buffer[MS_LOG_UINT_SIZE];
	char duration_buffer[MS_LOG_UINT_SIZE];
	const char *status = ms_log_format_uint(entry->status, status_buffer);
	const char *duration = ms_log_format_uint(entry->duration_us, duration_buffer);
	gsize status_length = (gsize)(status_buffer + MS_LOG_UINT_SIZE - 1 - status);
	gsize duration_length = (gsize)(duration_buffer + MS_LOG_UINT_SIZE - 1 - duration);
	gsize method_length = strlen(entry->method);
	gsize path_length = strlen(entry->path);
	gsize note_length = length_of(entry->note);
	gsize id_length = length_of(entry->request_id);
	gsize route_length = length_of(entry->route);
	gsize upstream_length = length_of(entry->upstream);
	gsize start = line->len;
	char *at;

	g_string_set_size(line,
			  start + method_length + 1 + path_length + 1 + status_length + 1 +
				  duration_length + sizeof "µs" - 1 + note_length +
				  FIELD_LENGTH("id", entry->request_id, id_length) +
				  FIELD_LENGTH("route", entry->route, route_length) +
				  FIELD_LENGTH("upstream", entry->upstream, upstream_length) + 1);
	at = line->str + start;
	at = put(at, entry->method, method_length);
	*at++ = ' ';
	at = put(at, entry->path, path_length);
	*at++ = ' ';
	at = put(at, status, status_length);
	*at++ = ' ';
	at = put(at, duration, duration_length);
	at = put(at, "µs", sizeof "µs" - 1);
	if (entry->note != NULL)
		at = put(at, entry->note, note_length);
	at = PUT_FIELD(at, "id", entry->request_id, id_length);
	at = PUT_FIELD(at, "route", entry->route, route_length);
	at = PUT_FIELD(at, "upstream", entry->upstream, upstream_length);
	*at++ = '\n';
	g_assert(at == line->str + line->len);
}

static void
log_fields(const MsAccessEntry *entry,
	   const char *domain,
	   const char *file,
	   const char *line,
	   const char *func)
{
	char status_buffer[MS_LOG_UINT_SIZE];
	char duration_buffer[MS_LOG_UINT_SIZE];
	const char *status = ms_log_format_uint(entry->status, status_buffer);
	const char *duration = ms_log_format_uint(entry->duration_us, duration_buffer);
	/* clang-format off */
	const MsLogField fields[] = {
		{ "REQUEST_ID", entry->request_id },
		{ "HTTP_METHOD", entry->method },
		{ "HTTP_PATH", entry->path },
		{ "HTTP_STATUS", status },
		{ "DURATION_USEC", duration },
		{ "ROUTE", entry->route },
		{ "UPSTREAM", entry->upstream },
		{ "REMOTE_ADDR", entry->remote_addr },
		{ "USER_NAME", entry->user },
	};
	/* clang-format on */
	char stack[256];
	g_autofree char *heap = NULL;
	const char *message = ms_log_access_message(stack,
						    sizeof stack,
						    &heap,
						    entry->method,
						    entry->path,
						    status,
						    duration,
						    entry->note);

	ms_log_fields_full(G_LOG_LEVEL_INFO,
			   domain,
			   file,
			   line,
			   func,
			   fields,
			   G_N_ELEMENTS(fields),
			   "%s",
			   message);
}

/**
 * ms_log_access_full:
 * @entry: the request's
 *
 * Logs @entry at INFO: the message "GET /hello 200 412µs" (and @entry's note),
 * with REQUEST_ID, HTTP_METHOD, HTTP_PATH, HTTP_STATUS, DURATION_USEC and those of
 * ROUTE, UPSTREAM, REMOTE_ADDR and USER_NAME it has. Use ms_log_access().
 */
void
ms_log_access_full(const MsAccessEntry *entry,
		   const char *domain,
		   const char *file,
		   const char *line,
		   const char *func)
{
	GString *plain = ms_log_plain_line_begin();

	if (plain == NULL) {
		log_fields(entry, domain, file, line, func);
		return;
	}
	write_plain_line(plain, entry);
	ms_log_plain_line_end();
}
