/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * The header fields of one HTTP message, as the gateway holds them: the
 * fields in the order they came, each a (name, value) pair of NUL-terminated
 * slices into storage the table owns, and each with the id of its name when
 * the gateway ever looks at that name. The id is found once, when the field
 * is added, so every later lookup compares small integers, not strings.
 *
 * A request's fields are parsed once (adapters/http1 copies the head's field
 * lines into the table's storage and cuts them there), looked at and edited
 * by the policies, and forwarded by writing the live slices. Removing a field
 * marks its slot dead; adding one copies its value into the storage. Every
 * string the table hands out stays valid until ms_http_fields_clear(): its
 * storage is never moved, and is kept for the next message.
 */

/* the names the gateway reads or writes; alphabetical, one run per first letter */
typedef enum {
	MS_HTTP_FIELD_OTHER = 0, /* any other name: compared by its text */
	MS_HTTP_FIELD_ACCEPT,
	MS_HTTP_FIELD_ACCEPT_LANGUAGE,
	MS_HTTP_FIELD_ACCESS_CONTROL_ALLOW_CREDENTIALS,
	MS_HTTP_FIELD_ACCESS_CONTROL_ALLOW_HEADERS,
	MS_HTTP_FIELD_ACCESS_CONTROL_ALLOW_METHODS,
	MS_HTTP_FIELD_ACCESS_CONTROL_ALLOW_ORIGIN,
	MS_HTTP_FIELD_ACCESS_CONTROL_MAX_AGE,
	MS_HTTP_FIELD_ACCESS_CONTROL_REQUEST_METHOD,
	MS_HTTP_FIELD_AGE,
	MS_HTTP_FIELD_ALLOW,
	MS_HTTP_FIELD_AUTHORIZATION,
	MS_HTTP_FIELD_CACHE_CONTROL,
	MS_HTTP_FIELD_CONNECTION,
	MS_HTTP_FIELD_CONTENT_LENGTH,
	MS_HTTP_FIELD_CONTENT_TYPE,
	MS_HTTP_FIELD_DATE,
	MS_HTTP_FIELD_EXPECT,
	MS_HTTP_FIELD_FORWARDED,
	MS_HTTP_FIELD_HOST,
	MS_HTTP_FIELD_KEEP_ALIVE,
	MS_HTTP_FIELD_ORIGIN,
	MS_HTTP_FIELD_PRAGMA,
	MS_HTTP_FIELD_PROXY_AUTHENTICATE,
	MS_HTTP_FIELD_PROXY_AUTHORIZATION,
	MS_HTTP_FIELD_PROXY_CONNECTION,
	MS_HTTP_FIELD_RETRY_AFTER,
	MS_HTTP_FIELD_SERVER,
	MS_HTTP_FIELD_SET_COOKIE,
	MS_HTTP_FIELD_TE,
	MS_HTTP_FIELD_TRAILER,
	MS_HTTP_FIELD_TRANSFER_ENCODING,
	MS_HTTP_FIELD_UPGRADE,
	MS_HTTP_FIELD_VARY,
	MS_HTTP_FIELD_WWW_AUTHENTICATE,
	MS_HTTP_FIELD_X_CACHE,
	MS_HTTP_FIELD_X_FORWARDED_FOR,
	MS_HTTP_FIELD_X_FORWARDED_HOST,
	MS_HTTP_FIELD_X_FORWARDED_PROTO,
	MS_HTTP_FIELD_X_MICROSOUP_ROLE,
	MS_HTTP_FIELD_X_MICROSOUP_USER,
	MS_HTTP_FIELD_X_REAL_IP,
	MS_HTTP_FIELD_X_REQUEST_ID,
	MS_HTTP_FIELD_LAST,
} MsHttpFieldId;

MsHttpFieldId
ms_http_field_id(const char *name, gsize length);
const char *
ms_http_field_name(MsHttpFieldId id);
gboolean
ms_http_field_is_hop_by_hop(MsHttpFieldId id);

/* one field line; read-only for everyone but the table */
typedef struct {
	const char *name; /* as sent, or the canonical spelling of a known name */
	const char *value;
	guint32 name_length;
	guint32 value_length;
	MsHttpFieldId id;
} MsHttpField;

void
ms_http_field_write(const MsHttpField *field, GString *out);

typedef struct _MsHttpFields MsHttpFields;

MsHttpFields *
ms_http_fields_new(void);
void
ms_http_fields_free(MsHttpFields *self);
void
ms_http_fields_clear(MsHttpFields *self);
guint
ms_http_fields_count(const MsHttpFields *self);

/* adding: the name is checked by the caller (a token), the value is copied */
void
ms_http_fields_append(MsHttpFields *self, const char *name, const char *value);
void
ms_http_fields_append_len(MsHttpFields *self,
			  const char *name,
			  gsize name_length,
			  const char *value,
			  gsize value_length);
void
ms_http_fields_append_id(MsHttpFields *self, MsHttpFieldId id, const char *value);
void
ms_http_fields_append_field(MsHttpFields *self, const MsHttpField *field);
void
ms_http_fields_replace(MsHttpFields *self, const char *name, const char *value);
void
ms_http_fields_replace_id(MsHttpFields *self, MsHttpFieldId id, const char *value);

/* for a parser: room in the table's storage, then fields cut from it in place */
char *
ms_http_fields_reserve(MsHttpFields *self, gsize size);
char *
ms_http_fields_store(MsHttpFields *self, const char *text, gsize length);
void
ms_http_fields_append_stored(MsHttpFields *self,
			     const char *name,
			     gsize name_length,
			     const char *value,
			     gsize value_length);

/* the last field of that name, as libsoup's get_one: for names that appear once */
const char *
ms_http_fields_get_one(MsHttpFields *self, const char *name);
const char *
ms_http_fields_get_one_id(MsHttpFields *self, MsHttpFieldId id);
/* every field of that name, their values joined with ", " (RFC 9110 §5.3) */
const char *
ms_http_fields_get_list(MsHttpFields *self, const char *name);
const char *
ms_http_fields_get_list_id(MsHttpFields *self, MsHttpFieldId id);
gboolean
ms_http_fields_has_id(const MsHttpFields *self, MsHttpFieldId id);

void
ms_http_fields_remove(MsHttpFields *self, const char *name);
void
ms_http_fields_remove_id(MsHttpFields *self, MsHttpFieldId id);

/*
 * the live fields, in order; a field may be removed while its iterator stands
 * on it. A field the iterator returned stays where it is until the table is
 * added to (its strings stay valid until the table is cleared).
 */
typedef struct {
	/*< private >*/
	MsHttpFields *fields;
	guint index;
} MsHttpFieldsIter;

void
ms_http_fields_iter_init(MsHttpFieldsIter *iter, MsHttpFields *fields);
const MsHttpField *
ms_http_fields_iter_next(MsHttpFieldsIter *iter);
void
ms_http_fields_iter_remove(MsHttpFieldsIter *iter);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(MsHttpFields, ms_http_fields_free)

G_END_DECLS
