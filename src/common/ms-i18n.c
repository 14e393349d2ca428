/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "ms-i18n.h"

#include <locale.h>
#include <string.h>

/*
 * Per-request translation. glibc's gettext picks the language from the process
 * (or thread) locale, which would need every answer language installed as a system
 * locale and a process-global switch per request; a daemon that answers Thai and
 * English on the same thread needs a lookup keyed by language. So the compiled
 * catalogs (the .mo files msgfmt builds from po/) are read here, once, into one
 * table per language. The format is GNU gettext's, read as documented in its manual.
 */

#define MO_MAGIC         0x950412deU
#define MO_MAGIC_SWAPPED 0xde120495U

static const char *const supported_languages[] = { "en", "th", NULL };
static GHashTable *catalogs; /* language → (msgid → msgstr) */
static gsize catalogs_once;

static gboolean
read_u32(GBytes *mo, gsize offset, gboolean swapped, guint32 *out)
{
	gsize size = 0;
	const guint8 *data = g_bytes_get_data(mo, &size);
	guint32 value;

	if (offset > size || size - offset < 4)
		return FALSE;
	memcpy(&value, data + offset, sizeof value);
	*out = swapped ? GUINT32_SWAP_LE_BE(value) : value;
	return TRUE;
}

static const char *
read_string(GBytes *mo, gsize table, guint32 index, gboolean swapped)
{
	gsize size = 0;
	const char *data = g_bytes_get_data(mo, &size);
	guint32 length = 0;
	guint32 offset = 0;

	if (!read_u32(mo, table + (gsize)index * 8, swapped, &length) ||
	    !read_u32(mo, table + (gsize)index * 8 + 4, swapped, &offset))
		return NULL;
	/* the string and its terminating NUL must lie inside the file */
	if (offset > size || length >= size - offset || data[offset + length] != '\0')
		return NULL;
	return data + offset;
}

/**
 * ms_i18n_catalog_parse:
 * @mo: the bytes of a compiled catalog
 * @into: msgid → msgstr table to fill (owned strings)
 *
 * Returns: %FALSE with @error set when @mo is not a well-formed catalog.
 */
gboolean
ms_i18n_catalog_parse(GBytes *mo, GHashTable *into, GError **error)
{
	guint32 magic = 0, revision = 0, count = 0, originals = 0, translations = 0;
	gboolean swapped;

	if (!read_u32(mo, 0, FALSE, &magic) || (magic != MO_MAGIC && magic != MO_MAGIC_SWAPPED)) {
		g_set_error_literal(error, G_FILE_ERROR, G_FILE_ERROR_INVAL, "not a .mo file");
		return FALSE;
	}
	swapped = magic == MO_MAGIC_SWAPPED;
	if (!read_u32(mo, 4, swapped, &revision) || (revision >> 16) > 1 ||
	    !read_u32(mo, 8, swapped, &count) || !read_u32(mo, 12, swapped, &originals) ||
	    !read_u32(mo, 16, swapped, &translations)) {
		g_set_error_literal(error, G_FILE_ERROR, G_FILE_ERROR_INVAL, "bad .mo header");
		return FALSE;
	}
	for (guint32 i = 0; i < count; i++) {
		const char *msgid = read_string(mo, originals, i, swapped);
		const char *msgstr = read_string(mo, translations, i, swapped);

		if (msgid == NULL || msgstr == NULL) {
			g_set_error(error,
				    G_FILE_ERROR,
				    G_FILE_ERROR_INVAL,
				    "entry %u lies outside the file",
				    i);
			return FALSE;
		}
		/* the empty msgid is the header; empty msgstr means untranslated */
		if (*msgid == '\0' || *msgstr == '\0')
			continue;
		g_hash_table_insert(into, g_strdup(msgid), g_strdup(msgstr));
	}
	return TRUE;
}

static const char *
locale_directory(void)
{
	/* tests and development runs point this at the build tree */
	const char *dir = g_getenv("MICROSOUP_LOCALEDIR");
	return dir != NULL && *dir != '\0' ? dir : LOCALEDIR;
}

static GHashTable *
catalog_load(const char *language)
{
	g_autofree char *path = NULL;
	g_autoptr(GMappedFile) file = NULL;
	g_autoptr(GBytes) bytes = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(GHashTable) table =
		g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);

	path = g_build_filename(locale_directory(),
				language,
				"LC_MESSAGES",
				GETTEXT_PACKAGE ".mo",
				NULL);
	file = g_mapped_file_new(path, FALSE, &error);
	if (file == NULL) {
		g_warning("no %s translations: %s", language, error->message);
		return g_steal_pointer(&table);
	}
	bytes = g_mapped_file_get_bytes(file);
	if (!ms_i18n_catalog_parse(bytes, table, &error)) {
		g_warning("ignoring %s: %s", path, error->message);
		g_hash_table_remove_all(table);
	}
	return g_steal_pointer(&table);
}

static void
catalogs_ensure(void)
{
	if (!g_once_init_enter(&catalogs_once))
		return;
	catalogs = g_hash_table_new_full(g_str_hash,
					 g_str_equal,
					 NULL,
					 (GDestroyNotify)g_hash_table_unref);
	for (guint i = 0; supported_languages[i] != NULL; i++) {
		if (g_strcmp0(supported_languages[i], MS_I18N_DEFAULT_LANGUAGE) == 0)
			continue;
		g_hash_table_insert(catalogs,
				    (gpointer)supported_languages[i],
				    catalog_load(supported_languages[i]));
	}
	g_once_init_leave(&catalogs_once, 1);
}

/**
 * ms_i18n_init:
 *
 * Sets the C locale from the environment (log messages stay English). The
 * catalogs are read on the first translation, once, from any thread: a command
 * line tool that never answers in Thai never looks for them.
 */
void
ms_i18n_init(void)
{
	static gsize locale_once;

	if (!g_once_init_enter(&locale_once))
		return;
	setlocale(LC_ALL, "");
	g_once_init_leave(&locale_once, 1);
}

/**
 * ms_i18n_get_languages:
 *
 * Returns: the languages answers can be in, the default first.
 */
const char *const *
ms_i18n_get_languages(void)
{
	return supported_languages;
}

/**
 * ms_i18n_gettext:
 * @language: a language from ms_i18n_get_languages(), or %NULL for the default
 * @msgid: the English text, marked with N_()
 *
 * Returns: (transfer none): the translation, or @msgid when there is none.
 */
const char *
ms_i18n_gettext(const char *language, const char *msgid)
{
	GHashTable *catalog;
	const char *msgstr;

	if (language == NULL || g_strcmp0(language, MS_I18N_DEFAULT_LANGUAGE) == 0)
		return msgid;
	catalogs_ensure();
	catalog = g_hash_table_lookup(catalogs, language);
	if (catalog == NULL)
		return msgid;
	msgstr = g_hash_table_lookup(catalog, msgid);
	return msgstr != NULL ? msgstr : msgid;
}

/**
 * ms_i18n_strdup_vprintf:
 * @msgid: an English printf format marked with N_(), translated before use
 *
 * Returns: (transfer full): the translated format, filled in
 */
char *
ms_i18n_strdup_vprintf(const char *language, const char *msgid, va_list args)
{
	/* the translation keeps the msgid's conversions: msgfmt --check guards it */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
	return g_strdup_vprintf(ms_i18n_gettext(language, msgid), args);
#pragma GCC diagnostic pop
}

/**
 * ms_i18n_set_error:
 * @msgid: an English printf format marked with N_()
 *
 * Sets @error with its message in @language, for errors a client will read.
 */
void
ms_i18n_set_error(GError **error,
		  GQuark domain,
		  gint code,
		  const char *language,
		  const char *msgid,
		  ...)
{
	va_list args;
	g_autofree char *message = NULL;

	if (error == NULL)
		return;
	va_start(args, msgid);
	message = ms_i18n_strdup_vprintf(language, msgid, args);
	va_end(args);
	g_set_error_literal(error, domain, code, message);
}
