/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <crypt.h>
#include <errno.h>
#include <string.h>

#include "gateway/core/policy/ms-auth-header.h"
#include "gateway/core/policy/ms-credentials.h"

/*
 * Users and API keys, read only from systemd credentials
 * ($CREDENTIALS_DIRECTORY/users and .../api-keys), never from the config file or
 * the command line. Once loaded an MsCredentials never changes: a reload builds
 * a new one and swaps it, so checks need no lock and can run in any thread.
 *
 *   users:    name:role:yescrypt-hash
 *   api-keys: name:role:sha256-hex-of-the-key
 */

/* a real yescrypt hash of a random string with the default cost: checking a
 * password of an unknown user against it costs what a known user costs */
#define DUMMY_HASH "$y$j9T$M5vY4NkztFqsv3pKWShsl1$VlXOeHRj530.MLMQesc9TXCd/PUfrHcJfLfhpayNuoA"

typedef struct {
	char *name;
	MsRole role;
	char *hash;
} MsUserEntry;

typedef struct {
	char *name;
	MsRole role;
	guint8 digest[32];
} MsApiKeyEntry;

struct _MsCredentials {
	GObject parent_instance;
	GHashTable *users;   /* name → MsUserEntry */
	GPtrArray *api_keys; /* MsApiKeyEntry */
};

G_DEFINE_TYPE(MsCredentials, ms_credentials, G_TYPE_OBJECT)
/* G_DEFINE_QUARK makes the name a string: spaces would be part of it */
/* clang-format off */
G_DEFINE_QUARK(ms-credentials-error-quark, ms_credentials_error)
/* clang-format on */

const char *
ms_role_to_string(MsRole role)
{
	switch (role) {
	case MS_ROLE_USER:
		return "user";
	case MS_ROLE_ADMIN:
		return "admin";
	case MS_ROLE_NONE:
	default:
		return "none";
	}
}

gboolean
ms_role_from_string(const char *str, MsRole *role)
{
	if (g_strcmp0(str, "user") == 0)
		*role = MS_ROLE_USER;
	else if (g_strcmp0(str, "admin") == 0)
		*role = MS_ROLE_ADMIN;
	else
		return FALSE;
	return TRUE;
}

/**
 * ms_constant_time_equal:
 *
 * Compares without an early exit: the time depends on the lengths only.
 * Eight bytes at a time, their differences gathered in a volatile word so
 * that no compiler turns the loop into one that stops at the first; a
 * keep-alive connection's Authorization value is compared on every request.
 */
gboolean
ms_constant_time_equal(const void *a, gsize a_len, const void *b, gsize b_len)
{
	const guint8 *pa = a;
	const guint8 *pb = b;
	gsize n = MIN(a_len, b_len);
	volatile guint64 diff = a_len != b_len;
	gsize i = 0;

	for (; i + 8 <= n; i += 8) {
		guint64 wa;
		guint64 wb;

		memcpy(&wa, pa + i, 8);
		memcpy(&wb, pb + i, 8);
		diff |= wa ^ wb;
	}
	for (; i < n; i++)
		diff |= (guint64)(pa[i] ^ pb[i]);
	return diff == 0;
}

static void
user_entry_free(MsUserEntry *entry)
{
	g_free(entry->name);
	ms_secure_free(entry->hash);
	g_free(entry);
}

static void
api_key_entry_free(MsApiKeyEntry *entry)
{
	g_free(entry->name);
	explicit_bzero(entry->digest, sizeof(entry->digest));
	g_free(entry);
}

/**
 * ms_credentials_is_valid_name:
 *
 * User and key names: 1 to 64 of letters, digits and "._-@" (no colon, no
 * space, nothing to escape in a log or a header).
 */
gboolean
ms_credentials_is_valid_name(const char *name)
{
	if (*name == '\0' || strlen(name) > 64)
		return FALSE;
	for (const char *p = name; *p != '\0'; p++) {
		if (!g_ascii_isalnum(*p) && strchr("._-@", *p) == NULL)
			return FALSE;
	}
	return TRUE;
}

typedef gboolean (*LineFunc)(MsCredentials *self, char **fields, GError **error);

/* splits @data in lines of exactly three colon-separated fields; errors carry origin:line */
static gboolean
parse_lines(MsCredentials *self,
	    const char *data,
	    gsize len,
	    const char *origin,
	    LineFunc func,
	    GError **error)
{
	g_autofree char *copy = NULL;
	g_auto(GStrv) lines = NULL;

	if (memchr(data, '\0', len) != NULL || !g_utf8_validate_len(data, len, NULL)) {
		g_set_error(error,
			    MS_CREDENTIALS_ERROR,
			    MS_CREDENTIALS_ERROR_PARSE,
			    "%s: not UTF-8 text",
			    origin);
		return FALSE;
	}
	copy = g_strndup(data, len);
	lines = g_strsplit(copy, "\n", -1);
	explicit_bzero(copy, len);
	for (guint i = 0; lines[i] != NULL; i++) {
		char *line = g_strstrip(lines[i]);
		g_auto(GStrv) fields = NULL;
		g_autoptr(GError) error_local = NULL;

		if (*line == '\0' || *line == '#')
			continue;
		fields = g_strsplit(line, ":", 3);
		if (g_strv_length(fields) != 3) {
			g_set_error(error,
				    MS_CREDENTIALS_ERROR,
				    MS_CREDENTIALS_ERROR_PARSE,
				    "%s:%u: expected name:role:hash",
				    origin,
				    i + 1);
			return FALSE;
		}
		if (!ms_credentials_is_valid_name(fields[0])) {
			g_set_error(error,
				    MS_CREDENTIALS_ERROR,
				    MS_CREDENTIALS_ERROR_PARSE,
				    "%s:%u: invalid name (letters, digits, '._-@', at most 64)",
				    origin,
				    i + 1);
			return FALSE;
		}
		if (!func(self, fields, &error_local)) {
			g_set_error(error,
				    MS_CREDENTIALS_ERROR,
				    MS_CREDENTIALS_ERROR_PARSE,
				    "%s:%u: %s",
				    origin,
				    i + 1,
				    error_local->message);
			return FALSE;
		}
	}
	for (guint i = 0; lines[i] != NULL; i++)
		explicit_bzero(lines[i], strlen(lines[i]));
	return TRUE;
}

static gboolean
parse_role(const char *str, MsRole *role, GError **error)
{
	if (!ms_role_from_string(str, role)) {
		g_set_error(error,
			    MS_CREDENTIALS_ERROR,
			    MS_CREDENTIALS_ERROR_PARSE,
			    "role must be user or admin, not “%s”",
			    str);
		return FALSE;
	}
	return TRUE;
}

static gboolean
add_user(MsCredentials *self, char **fields, GError **error)
{
	MsUserEntry *entry;
	MsRole role;

	if (g_hash_table_contains(self->users, fields[0])) {
		g_set_error(error,
			    MS_CREDENTIALS_ERROR,
			    MS_CREDENTIALS_ERROR_PARSE,
			    "duplicate user “%s”",
			    fields[0]);
		return FALSE;
	}
	if (!parse_role(fields[1], &role, error))
		return FALSE;
	if (!g_str_has_prefix(fields[2], "$y$") || crypt_checksalt(fields[2]) != CRYPT_SALT_OK ||
	    strchr(fields[2] + 3, '$') == NULL) {
		g_set_error_literal(
			error,
			MS_CREDENTIALS_ERROR,
			MS_CREDENTIALS_ERROR_PARSE,
			"hash is not a yescrypt hash (use microsoup-gateway --hash-password)");
		return FALSE;
	}
	entry = g_new0(MsUserEntry, 1);
	entry->name = g_strdup(fields[0]);
	entry->role = role;
	entry->hash = g_strdup(fields[2]);
	g_hash_table_insert(self->users, entry->name, entry);
	return TRUE;
}

static gboolean
add_api_key(MsCredentials *self, char **fields, GError **error)
{
	g_autofree MsApiKeyEntry *entry = g_new0(MsApiKeyEntry, 1);
	MsRole role;

	if (!parse_role(fields[1], &role, error))
		return FALSE;
	if (strlen(fields[2]) != 64) {
		g_set_error_literal(error,
				    MS_CREDENTIALS_ERROR,
				    MS_CREDENTIALS_ERROR_PARSE,
				    "key digest must be 64 hex digits (SHA-256)");
		return FALSE;
	}
	for (guint i = 0; i < 32; i++) {
		int hi = g_ascii_xdigit_value(fields[2][2 * i]);
		int lo = g_ascii_xdigit_value(fields[2][2 * i + 1]);
		if (hi < 0 || lo < 0) {
			g_set_error_literal(error,
					    MS_CREDENTIALS_ERROR,
					    MS_CREDENTIALS_ERROR_PARSE,
					    "key digest must be 64 hex digits (SHA-256)");
			return FALSE;
		}
		entry->digest[i] = (guint8)(hi << 4 | lo);
	}
	entry->name = g_strdup(fields[0]);
	entry->role = role;
	g_ptr_array_add(self->api_keys, g_steal_pointer(&entry));
	return TRUE;
}

/**
 * ms_credentials_load_users:
 * @origin: names the source in error messages, e.g. the file path
 *
 * Adds the users of one users file; on error nothing is partially trusted:
 * the caller drops this object.
 */
gboolean
ms_credentials_load_users(MsCredentials *self,
			  const char *data,
			  gsize len,
			  const char *origin,
			  GError **error)
{
	g_return_val_if_fail(MS_IS_CREDENTIALS(self), FALSE);
	return parse_lines(self, data, len, origin, add_user, error);
}

gboolean
ms_credentials_load_api_keys(MsCredentials *self,
			     const char *data,
			     gsize len,
			     const char *origin,
			     GError **error)
{
	g_return_val_if_fail(MS_IS_CREDENTIALS(self), FALSE);
	return parse_lines(self, data, len, origin, add_api_key, error);
}

/* a missing credential file means "none of that kind", anything else is an error */
static gboolean
load_file(MsCredentials *self,
	  const char *directory,
	  const char *name,
	  gboolean (*load)(MsCredentials *, const char *, gsize, const char *, GError **),
	  GError **error)
{
	g_autofree char *path = g_build_filename(directory, name, NULL);
	g_autofree char *data = NULL;
	g_autoptr(GError) error_local = NULL;
	gsize len = 0;
	gboolean ok;

	if (!g_file_get_contents(path, &data, &len, &error_local)) {
		if (g_error_matches(error_local, G_FILE_ERROR, G_FILE_ERROR_NOENT))
			return TRUE;
		g_set_error_literal(error,
				    MS_CREDENTIALS_ERROR,
				    MS_CREDENTIALS_ERROR_IO,
				    error_local->message);
		return FALSE;
	}
	ok = load(self, data, len, path, error);
	explicit_bzero(data, len);
	return ok;
}

/**
 * ms_credentials_new_from_directory:
 * @directory: a systemd credentials directory
 */
MsCredentials *
ms_credentials_new_from_directory(const char *directory, GError **error)
{
	g_autoptr(MsCredentials) self = ms_credentials_new();

	if (!load_file(self, directory, MS_CREDENTIALS_USERS, ms_credentials_load_users, error))
		return NULL;
	if (!load_file(self,
		       directory,
		       MS_CREDENTIALS_API_KEYS,
		       ms_credentials_load_api_keys,
		       error))
		return NULL;
	return g_steal_pointer(&self);
}

/**
 * ms_credentials_new_from_environment:
 *
 * Reads $CREDENTIALS_DIRECTORY (systemd's LoadCredential=, or the staged set
 * the gateway runs); without it there are no users and no keys, so every
 * authenticated route answers 401.
 */
MsCredentials *
ms_credentials_new_from_environment(GError **error)
{
	const char *directory = g_getenv("CREDENTIALS_DIRECTORY");

	if (directory == NULL || *directory == '\0')
		return ms_credentials_new();
	return ms_credentials_new_from_directory(directory, error);
}

guint
ms_credentials_get_n_users(MsCredentials *self)
{
	return g_hash_table_size(self->users);
}

guint
ms_credentials_get_n_api_keys(MsCredentials *self)
{
	return self->api_keys->len;
}

/**
 * ms_credentials_check_password:
 * @role: (out) (optional): the user's role on success
 *
 * Runs yescrypt (tens of ms): call it from a worker thread, not the main loop.
 * An unknown user costs the same as a known one with a wrong password.
 */
gboolean
ms_credentials_check_password(MsCredentials *self,
			      const char *user,
			      const char *password,
			      MsRole *role)
{
	MsUserEntry *entry = g_hash_table_lookup(self->users, user);
	const char *setting = entry != NULL ? entry->hash : DUMMY_HASH;
	struct crypt_data *data = g_new0(struct crypt_data, 1);
	const char *computed;
	gboolean ok;

	computed = crypt_r(password, setting, data);
	ok = computed != NULL && computed[0] != '*' &&
	     ms_constant_time_equal(computed, strlen(computed), setting, strlen(setting));
	explicit_bzero(data, sizeof(*data));
	g_free(data);
	if (!ok || entry == NULL)
		return FALSE;
	if (role != NULL)
		*role = entry->role;
	return TRUE;
}

/**
 * ms_credentials_check_api_key:
 * @name: (out) (optional) (transfer none): the key's name, valid while @self lives
 *
 * Compares the key's SHA-256 with every stored digest, all of them, in constant time.
 */
gboolean
ms_credentials_check_api_key(MsCredentials *self, const char *key, const char **name, MsRole *role)
{
	g_autoptr(GChecksum) checksum = g_checksum_new(G_CHECKSUM_SHA256);
	guint8 digest[32];
	gsize digest_len = sizeof(digest);
	MsApiKeyEntry *match = NULL;

	g_checksum_update(checksum, (const guchar *)key, strlen(key));
	g_checksum_get_digest(checksum, digest, &digest_len);
	for (guint i = 0; i < self->api_keys->len; i++) {
		MsApiKeyEntry *entry = g_ptr_array_index(self->api_keys, i);
		if (ms_constant_time_equal(digest,
					   sizeof(digest),
					   entry->digest,
					   sizeof(entry->digest)))
			match = entry;
	}
	explicit_bzero(digest, sizeof(digest));
	if (match == NULL)
		return FALSE;
	if (name != NULL)
		*name = match->name;
	if (role != NULL)
		*role = match->role;
	return TRUE;
}

static void
ms_credentials_finalize(GObject *object)
{
	MsCredentials *self = MS_CREDENTIALS(object);

	g_hash_table_unref(self->users);
	g_ptr_array_unref(self->api_keys);
	G_OBJECT_CLASS(ms_credentials_parent_class)->finalize(object);
}

static void
ms_credentials_class_init(MsCredentialsClass *klass)
{
	G_OBJECT_CLASS(klass)->finalize = ms_credentials_finalize;
}

static void
ms_credentials_init(MsCredentials *self)
{
	self->users = g_hash_table_new_full(g_str_hash,
					    g_str_equal,
					    NULL,
					    (GDestroyNotify)user_entry_free);
	self->api_keys = g_ptr_array_new_with_free_func((GDestroyNotify)api_key_entry_free);
}

MsCredentials *
ms_credentials_new(void)
{
	return g_object_new(MS_TYPE_CREDENTIALS, NULL);
}
