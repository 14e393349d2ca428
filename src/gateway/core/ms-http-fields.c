/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "gateway/core/ms-http-fields.h"

#include <string.h>

/*
 * the storage a table keeps from one message to the next: a larger head gets
 * more, and gives it back when it is cleared
 */
#define BLOCK_BYTES 2048
/* field slots kept likewise */
#define SLOTS_KEPT  64
#define SLOTS_FIRST 16

#define KNOWN(text, hop_by_hop)                   \
	{                                         \
		text, sizeof text - 1, hop_by_hop \
	}

static const struct {
	const char *name;
	guint length;
	gboolean hop_by_hop;
} known_names[MS_HTTP_FIELD_LAST] = {
	[MS_HTTP_FIELD_OTHER] = { "", 0, FALSE },
	[MS_HTTP_FIELD_ACCEPT] = KNOWN("Accept", FALSE),
	[MS_HTTP_FIELD_ACCEPT_LANGUAGE] = KNOWN("Accept-Language", FALSE),
	[MS_HTTP_FIELD_ACCESS_CONTROL_ALLOW_CREDENTIALS] =
		KNOWN("Access-Control-Allow-Credentials", FALSE),
	[MS_HTTP_FIELD_ACCESS_CONTROL_ALLOW_HEADERS] = KNOWN("Access-Control-Allow-Headers", FALSE),
	[MS_HTTP_FIELD_ACCESS_CONTROL_ALLOW_METHODS] = KNOWN("Access-Control-Allow-Methods", FALSE),
	[MS_HTTP_FIELD_ACCESS_CONTROL_ALLOW_ORIGIN] = KNOWN("Access-Control-Allow-Origin", FALSE),
	[MS_HTTP_FIELD_ACCESS_CONTROL_MAX_AGE] = KNOWN("Access-Control-Max-Age", FALSE),
	[MS_HTTP_FIELD_ACCESS_CONTROL_REQUEST_METHOD] =
		KNOWN("Access-Control-Request-Method", FALSE),
	[MS_HTTP_FIELD_AGE] = KNOWN("Age", FALSE),
	[MS_HTTP_FIELD_ALLOW] = KNOWN("Allow", FALSE),
	[MS_HTTP_FIELD_AUTHORIZATION] = KNOWN("Authorization", FALSE),
	[MS_HTTP_FIELD_CACHE_CONTROL] = KNOWN("Cache-Control", FALSE),
	[MS_HTTP_FIELD_CONNECTION] = KNOWN("Connection", TRUE),
	/* a proxy or a cache sets it from the body it actually sends */
	[MS_HTTP_FIELD_CONTENT_LENGTH] = KNOWN("Content-Length", TRUE),
	[MS_HTTP_FIELD_CONTENT_TYPE] = KNOWN("Content-Type", FALSE),
	[MS_HTTP_FIELD_DATE] = KNOWN("Date", FALSE),
	[MS_HTTP_FIELD_EXPECT] = KNOWN("Expect", FALSE),
	[MS_HTTP_FIELD_FORWARDED] = KNOWN("Forwarded", FALSE),
	[MS_HTTP_FIELD_HOST] = KNOWN("Host", FALSE),
	[MS_HTTP_FIELD_KEEP_ALIVE] = KNOWN("Keep-Alive", TRUE),
	[MS_HTTP_FIELD_ORIGIN] = KNOWN("Origin", FALSE),
	[MS_HTTP_FIELD_PRAGMA] = KNOWN("Pragma", FALSE),
	[MS_HTTP_FIELD_PROXY_AUTHENTICATE] = KNOWN("Proxy-Authenticate", TRUE),
	[MS_HTTP_FIELD_PROXY_AUTHORIZATION] = KNOWN("Proxy-Authorization", TRUE),
	[MS_HTTP_FIELD_PROXY_CONNECTION] = KNOWN("Proxy-Connection", TRUE),
	[MS_HTTP_FIELD_RETRY_AFTER] = KNOWN("Retry-After", FALSE),
	[MS_HTTP_FIELD_SERVER] = KNOWN("Server", FALSE),
	[MS_HTTP_FIELD_SET_COOKIE] = KNOWN("Set-Cookie", FALSE),
	[MS_HTTP_FIELD_TE] = KNOWN("TE", TRUE),
	[MS_HTTP_FIELD_TRAILER] = KNOWN("Trailer", TRUE),
	[MS_HTTP_FIELD_TRANSFER_ENCODING] = KNOWN("Transfer-Encoding", TRUE),
	[MS_HTTP_FIELD_UPGRADE] = KNOWN("Upgrade", TRUE),
	[MS_HTTP_FIELD_VARY] = KNOWN("Vary", FALSE),
	[MS_HTTP_FIELD_WWW_AUTHENTICATE] = KNOWN("WWW-Authenticate", FALSE),
	[MS_HTTP_FIELD_X_CACHE] = KNOWN("X-Cache", FALSE),
	[MS_HTTP_FIELD_X_FORWARDED_FOR] = KNOWN("X-Forwarded-For", FALSE),
	[MS_HTTP_FIELD_X_FORWARDED_HOST] = KNOWN("X-Forwarded-Host", FALSE),
	[MS_HTTP_FIELD_X_FORWARDED_PROTO] = KNOWN("X-Forwarded-Proto", FALSE),
	[MS_HTTP_FIELD_X_MICROSOUP_ROLE] = KNOWN("X-Microsoup-Role", FALSE),
	[MS_HTTP_FIELD_X_MICROSOUP_USER] = KNOWN("X-Microsoup-User", FALSE),
	[MS_HTTP_FIELD_X_REAL_IP] = KNOWN("X-Real-IP", FALSE),
	[MS_HTTP_FIELD_X_REQUEST_ID] = KNOWN("X-Request-ID", FALSE),
};

/*
 * @name (a token, @length bytes) is @expected, written as usual, in any case
 * (RFC 9110 §5.1). A known name has only letters and '-', so setting the 0x20
 * bit of both sides makes the cases meet and leaves '-' alone; a token has no
 * CR, the one byte that would then pass for '-'. Eight or four bytes at a
 * time: this runs once for every field of every head.
 */
static inline gboolean
name_equal(const char *name, const char *expected, gsize length)
{
	const guint64 fold = G_GUINT64_CONSTANT(0x2020202020202020);
	guint64 a;
	guint64 b;

	if (length < 8) {
		guint32 c;
		guint32 d;

		if (length < 4) {
			for (gsize i = 0; i < length; i++) {
				if ((name[i] | 0x20) != (expected[i] | 0x20))
					return FALSE;
			}
			return TRUE;
		}
		/* the first four bytes and the last four, which may overlap */
		memcpy(&c, name, 4);
		memcpy(&d, expected, 4);
		if ((c | (guint32)fold) != (d | (guint32)fold))
			return FALSE;
		memcpy(&c, name + length - 4, 4);
		memcpy(&d, expected + length - 4, 4);
		return (c | (guint32)fold) == (d | (guint32)fold);
	}
	for (gsize i = 0; i + 8 < length; i += 8) {
		memcpy(&a, name + i, 8);
		memcpy(&b, expected + i, 8);
		if ((a | fold) != (b | fold))
			return FALSE;
	}
	/* the last eight bytes, which may overlap the ones just compared */
	memcpy(&a, name + length - 8, 8);
	memcpy(&b, expected + length - 8, 8);
	return (a | fold) == (b | fold);
}

/*
 * The known names in an open-addressing table, filled once from known_names:
 * a name is found in one or two probes, and most names the gateway does not
 * know land on an empty slot at once.
 */
#define ID_SLOTS 256 /* a power of two, several times the known names */

static guint8 id_slots[ID_SLOTS]; /* 0 (OTHER): empty */

/* from the first and last letters and the length, which set the known names apart */
static inline guint
name_hash(const char *name, gsize length)
{
	guint first = (guchar)(name[0] | 0x20);
	guint last = (guchar)(name[length - 1] | 0x20);

	return ((first * 31 + last) * 7 + (guint)length) & (ID_SLOTS - 1);
}

static void
id_slots_fill(void)
{
	G_STATIC_ASSERT(MS_HTTP_FIELD_LAST < ID_SLOTS / 2);
	for (guint id = MS_HTTP_FIELD_OTHER + 1; id < MS_HTTP_FIELD_LAST; id++) {
		guint slot = name_hash(known_names[id].name, known_names[id].length);

		while (id_slots[slot] != MS_HTTP_FIELD_OTHER)
			slot = (slot + 1) & (ID_SLOTS - 1);
		id_slots[slot] = (guint8)id;
	}
}

/**
 * ms_http_field_id:
 * @name: a field name, any case: a token (RFC 9110 §5.6.2); need not end with NUL
 * @length: its length
 *
 * Runs once for every field of every head.
 *
 * Returns: the id of a name the gateway knows, else %MS_HTTP_FIELD_OTHER
 */
MsHttpFieldId
ms_http_field_id(const char *name, gsize length)
{
	static gsize filled = 0;

	if (g_once_init_enter(&filled)) {
		id_slots_fill();
		g_once_init_leave(&filled, 1);
	}
	if (length == 0)
		return MS_HTTP_FIELD_OTHER;
	for (guint slot = name_hash(name, length); id_slots[slot] != MS_HTTP_FIELD_OTHER;
	     slot = (slot + 1) & (ID_SLOTS - 1)) {
		guint id = id_slots[slot];

		if (known_names[id].length == length &&
		    name_equal(name, known_names[id].name, length))
			return (MsHttpFieldId)id;
	}
	return MS_HTTP_FIELD_OTHER;
}

/**
 * ms_http_field_name:
 *
 * Returns: the usual spelling of a known name ("Content-Length"); "" for
 *   %MS_HTTP_FIELD_OTHER
 */
const char *
ms_http_field_name(MsHttpFieldId id)
{
	g_return_val_if_fail(id < MS_HTTP_FIELD_LAST, "");
	return known_names[id].name;
}

/**
 * ms_http_field_is_hop_by_hop:
 *
 * The fields that describe one connection, not the message (RFC 9110 §7.6.1,
 * with the old Proxy-Connection), plus Content-Length, which a proxy or a
 * cache sets from the body it actually sends. Neither forwarded nor stored.
 */
gboolean
ms_http_field_is_hop_by_hop(MsHttpFieldId id)
{
	return id < MS_HTTP_FIELD_LAST && known_names[id].hop_by_hop;
}

/**
 * ms_http_field_write:
 *
 * Appends @field as a field line, "name: value" and CRLF. One copy per
 * piece into room made once: GLib before 2.76 takes every g_string_append()
 * through its general insertion, and a head is written field by field.
 */
void
ms_http_field_write(const MsHttpField *field, GString *out)
{
	gsize at = out->len;
	gsize length = (gsize)field->name_length + field->value_length + 4;
	char *p;

	if (G_LIKELY(out->allocated_len - at > length)) {
		out->len += length;
		out->str[out->len] = '\0';
	} else {
		g_string_set_size(out, at + length);
	}
	p = out->str + at;
	memcpy(p, field->name, field->name_length);
	p += field->name_length;
	*p++ = ':';
	*p++ = ' ';
	memcpy(p, field->value, field->value_length);
	p += field->value_length;
	*p++ = '\r';
	*p = '\n';
}

/* --- the table ------------------------------------------------------------------------- */

typedef struct _Block Block;

/* storage that never moves: what the table hands out stays where it is */
struct _Block {
	Block *next;
	gsize size;
	gsize used;
	char data[];
};

/* a bit per known name in MsHttpFields.present */
G_STATIC_ASSERT(MS_HTTP_FIELD_LAST <= 64);
#define PRESENT(id) (G_GUINT64_CONSTANT(1) << (id))

struct _MsHttpFields {
	/*
	 * the known names added since the table was cleared (removed ones too):
	 * most lookups are for a name the message does not have, and end here
	 */
	guint64 present;
	MsHttpField *fields; /* a removed field's name is %NULL */
	guint length;        /* slots in use, removed ones too */
	guint allocated;
	Block *blocks; /* the newest first */
};

static Block *
block_new(gsize size, Block *next)
{
	Block *block = g_malloc(sizeof(Block) + size);

	block->next = next;
	block->size = size;
	block->used = 0;
	return block;
}

MsHttpFields *
ms_http_fields_new(void)
{
	MsHttpFields *self = g_new0(MsHttpFields, 1);

	self->allocated = SLOTS_FIRST;
	self->fields = g_new(MsHttpField, self->allocated);
	self->blocks = block_new(BLOCK_BYTES, NULL);
	return self;
}

static void
blocks_free(Block *block)
{
	while (block != NULL) {
		Block *next = block->next;

		g_free(block);
		block = next;
	}
}

void
ms_http_fields_free(MsHttpFields *self)
{
	if (self == NULL)
		return;
	blocks_free(self->blocks);
	g_free(self->fields);
	g_free(self);
}

/**
 * ms_http_fields_clear:
 *
 * Empties @self for the next message: one block of storage and the field
 * slots are kept, so a keep-alive connection's next request allocates
 * nothing; what a large head needed more is given back.
 */
void
ms_http_fields_clear(MsHttpFields *self)
{
	Block *kept = NULL;

	for (Block *block = self->blocks; block != NULL;) {
		Block *next = block->next;

		if (kept == NULL && block->size == BLOCK_BYTES)
			kept = block;
		else
			g_free(block);
		block = next;
	}
	if (kept == NULL)
		kept = block_new(BLOCK_BYTES, NULL);
	kept->next = NULL;
	kept->used = 0;
	self->blocks = kept;
	if (self->allocated > SLOTS_KEPT) {
		self->allocated = SLOTS_KEPT;
		self->fields = g_renew(MsHttpField, self->fields, self->allocated);
	}
	self->length = 0;
	self->present = 0;
}

/**
 * ms_http_fields_count:
 *
 * Returns: how many fields @self holds, removed ones not counted
 */
guint
ms_http_fields_count(const MsHttpFields *self)
{
	guint n = 0;

	for (guint i = 0; i < self->length; i++)
		n += self->fields[i].name != NULL;
	return n;
}

/**
 * ms_http_fields_reserve:
 * @size: bytes wanted
 *
 * Returns: (transfer none): @size bytes of @self's storage, valid until
 *   ms_http_fields_clear(); a parser copies a head's field lines there and
 *   adds them with ms_http_fields_append_stored()
 */
char *
ms_http_fields_reserve(MsHttpFields *self, gsize size)
{
	Block *block = self->blocks;
	char *room;

	if (block->size - block->used < size)
		block = self->blocks = block_new(MAX(size, (gsize)BLOCK_BYTES), self->blocks);
	room = block->data + block->used;
	block->used += size;
	return room;
}

/**
 * ms_http_fields_store:
 * @text: need not end with NUL
 *
 * Returns: (transfer none): a copy of @text with a NUL after it, in @self's
 *   storage: valid, as the fields are, until ms_http_fields_clear() (a head's
 *   request line or reason phrase, kept with its fields)
 */
char *
ms_http_fields_store(MsHttpFields *self, const char *text, gsize length)
{
	char *copy = ms_http_fields_reserve(self, length + 1);

	memcpy(copy, text, length);
	copy[length] = '\0';
	return copy;
}

static void
add(MsHttpFields *self,
    MsHttpFieldId id,
    const char *name,
    gsize name_length,
    const char *value,
    gsize value_length)
{
	MsHttpField *field;

	g_return_if_fail(name_length <= G_MAXUINT32 && value_length <= G_MAXUINT32);
	if (self->length == self->allocated) {
		self->allocated *= 2;
		self->fields = g_renew(MsHttpField, self->fields, self->allocated);
	}
	field = &self->fields[self->length++];
	field->name = name;
	field->name_length = (guint32)name_length;
	field->value = value;
	field->value_length = (guint32)value_length;
	field->id = id;
	self->present |= PRESENT(id);
}

/**
 * ms_http_fields_append_stored:
 * @name: in @self's storage (ms_http_fields_reserve()), NUL after it
 * @value: likewise
 *
 * Adds a field whose bytes are already in @self, without copying them.
 */
void
ms_http_fields_append_stored(MsHttpFields *self,
			     const char *name,
			     gsize name_length,
			     const char *value,
			     gsize value_length)
{
	add(self, ms_http_field_id(name, name_length), name, name_length, value, value_length);
}

/**
 * ms_http_fields_append_len:
 *
 * Adds a field, copying @name and @value (which need not end with NUL). A
 * known name is stored in its usual spelling.
 */
void
ms_http_fields_append_len(MsHttpFields *self,
			  const char *name,
			  gsize name_length,
			  const char *value,
			  gsize value_length)
{
	MsHttpFieldId id = ms_http_field_id(name, name_length);
	const char *stored_name = id != MS_HTTP_FIELD_OTHER
					  ? known_names[id].name
					  : ms_http_fields_store(self, name, name_length);

	add(self,
	    id,
	    stored_name,
	    name_length,
	    ms_http_fields_store(self, value, value_length),
	    value_length);
}

void
ms_http_fields_append(MsHttpFields *self, const char *name, const char *value)
{
	ms_http_fields_append_len(self, name, strlen(name), value, strlen(value));
}

/**
 * ms_http_fields_append_id:
 * @id: a known name, not %MS_HTTP_FIELD_OTHER
 *
 * Adds a field of a known name: only the value is copied.
 */
void
ms_http_fields_append_id(MsHttpFields *self, MsHttpFieldId id, const char *value)
{
	gsize length = strlen(value);

	g_return_if_fail(id > MS_HTTP_FIELD_OTHER && id < MS_HTTP_FIELD_LAST);
	add(self,
	    id,
	    known_names[id].name,
	    known_names[id].length,
	    ms_http_fields_store(self, value, length),
	    length);
}

/**
 * ms_http_fields_append_field:
 * @field: a field of another table
 *
 * Adds a copy of @field; its name is not looked up again.
 */
void
ms_http_fields_append_field(MsHttpFields *self, const MsHttpField *field)
{
	const char *name = field->id != MS_HTTP_FIELD_OTHER
				   ? known_names[field->id].name
				   : ms_http_fields_store(self, field->name, field->name_length);

	add(self,
	    field->id,
	    name,
	    field->name_length,
	    ms_http_fields_store(self, field->value, field->value_length),
	    field->value_length);
}

/* the field at @i has the name @name (@id when known) */
static inline gboolean
field_is(const MsHttpField *field, MsHttpFieldId id, const char *name, gsize length)
{
	if (field->name == NULL || field->id != id)
		return FALSE;
	return id != MS_HTTP_FIELD_OTHER || (field->name_length == length &&
					     g_ascii_strncasecmp(field->name, name, length) == 0);
}

static const char *
get_one(MsHttpFields *self, MsHttpFieldId id, const char *name, gsize length)
{
	if (!(self->present & PRESENT(id)))
		return NULL;
	for (guint i = self->length; i > 0; i--) {
		if (field_is(&self->fields[i - 1], id, name, length))
			return self->fields[i - 1].value;
	}
	return NULL;
}

static const char *
get_list(MsHttpFields *self, MsHttpFieldId id, const char *name, gsize length)
{
	const MsHttpField *first = NULL;
	gsize total = 0;
	guint n = 0;
	char *joined;
	char *p;

	if (!(self->present & PRESENT(id)))
		return NULL;
	for (guint i = 0; i < self->length; i++) {
		const MsHttpField *field = &self->fields[i];

		if (!field_is(field, id, name, length))
			continue;
		if (n++ == 0)
			first = field;
		total += field->value_length + 2;
	}
	if (n <= 1)
		return first != NULL ? first->value : NULL;
	/* repeated: joined once more in the storage, which lives as long as the fields */
	p = joined = ms_http_fields_reserve(self, total - 1);
	n = 0;
	for (guint i = 0; i < self->length; i++) {
		const MsHttpField *field = &self->fields[i];

		if (!field_is(field, id, name, length))
			continue;
		if (n++ > 0) {
			*p++ = ',';
			*p++ = ' ';
		}
		memcpy(p, field->value, field->value_length);
		p += field->value_length;
	}
	*p = '\0';
	return joined;
}

static void
remove_all(MsHttpFields *self, MsHttpFieldId id, const char *name, gsize length)
{
	if (!(self->present & PRESENT(id)))
		return;
	for (guint i = 0; i < self->length; i++) {
		if (field_is(&self->fields[i], id, name, length))
			self->fields[i].name = NULL;
	}
}

/**
 * ms_http_fields_get_one:
 * @name: a field name, any case
 *
 * For the names a message has once at most: when it came more than once,
 * the last is taken, as libsoup's soup_message_headers_get_one() does.
 *
 * Returns: (nullable): the value of the last field named @name
 */
const char *
ms_http_fields_get_one(MsHttpFields *self, const char *name)
{
	gsize length = strlen(name);

	return get_one(self, ms_http_field_id(name, length), name, length);
}

const char *
ms_http_fields_get_one_id(MsHttpFields *self, MsHttpFieldId id)
{
	g_return_val_if_fail(id > MS_HTTP_FIELD_OTHER && id < MS_HTTP_FIELD_LAST, NULL);
	return get_one(self, id, NULL, 0);
}

/**
 * ms_http_fields_get_list:
 * @name: a field name, any case
 *
 * Returns: (nullable): the values of every field named @name, in order,
 *   joined with ", "; %NULL when there is none
 */
const char *
ms_http_fields_get_list(MsHttpFields *self, const char *name)
{
	gsize length = strlen(name);

	return get_list(self, ms_http_field_id(name, length), name, length);
}

const char *
ms_http_fields_get_list_id(MsHttpFields *self, MsHttpFieldId id)
{
	g_return_val_if_fail(id > MS_HTTP_FIELD_OTHER && id < MS_HTTP_FIELD_LAST, NULL);
	return get_list(self, id, NULL, 0);
}

gboolean
ms_http_fields_has_id(const MsHttpFields *self, MsHttpFieldId id)
{
	if (!(self->present & PRESENT(id)))
		return FALSE;
	for (guint i = 0; i < self->length; i++) {
		if (self->fields[i].name != NULL && self->fields[i].id == id)
			return TRUE;
	}
	return FALSE;
}

/**
 * ms_http_fields_remove:
 * @name: a field name, any case
 *
 * Removes every field named @name. What was read of them stays valid.
 */
void
ms_http_fields_remove(MsHttpFields *self, const char *name)
{
	gsize length = strlen(name);

	remove_all(self, ms_http_field_id(name, length), name, length);
}

void
ms_http_fields_remove_id(MsHttpFields *self, MsHttpFieldId id)
{
	g_return_if_fail(id > MS_HTTP_FIELD_OTHER && id < MS_HTTP_FIELD_LAST);
	remove_all(self, id, NULL, 0);
}

/**
 * ms_http_fields_replace:
 *
 * Removes every field named @name, then adds @name: @value at the end.
 */
void
ms_http_fields_replace(MsHttpFields *self, const char *name, const char *value)
{
	ms_http_fields_remove(self, name);
	ms_http_fields_append(self, name, value);
}

void
ms_http_fields_replace_id(MsHttpFields *self, MsHttpFieldId id, const char *value)
{
	ms_http_fields_remove_id(self, id);
	ms_http_fields_append_id(self, id, value);
}

void
ms_http_fields_iter_init(MsHttpFieldsIter *iter, MsHttpFields *fields)
{
	iter->fields = fields;
	iter->index = 0;
}

/**
 * ms_http_fields_iter_next:
 *
 * Returns: (nullable): the next live field, %NULL after the last
 */
const MsHttpField *
ms_http_fields_iter_next(MsHttpFieldsIter *iter)
{
	MsHttpFields *fields = iter->fields;

	while (iter->index < fields->length) {
		const MsHttpField *field = &fields->fields[iter->index++];

		if (field->name != NULL)
			return field;
	}
	return NULL;
}

/**
 * ms_http_fields_iter_remove:
 *
 * Removes the field ms_http_fields_iter_next() returned last; what was read
 * of it stays valid.
 */
void
ms_http_fields_iter_remove(MsHttpFieldsIter *iter)
{
	g_return_if_fail(iter->index > 0);
	iter->fields->fields[iter->index - 1].name = NULL;
}
