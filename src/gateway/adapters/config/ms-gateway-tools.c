/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <crypt.h>
#include <errno.h>
#include <string.h>
#include <sys/random.h>

#include "common/ms-dirs.h"
#include "gateway/core/policy/ms-credentials.h"
#include "gateway/adapters/config/ms-gateway-tools.h"

/*
 * The two administrator commands of microsoup-gateway that make secrets:
 *
 *   microsoup-gateway --hash-password           < password    → a users line's hash
 *   microsoup-gateway --new-api-key NAME ROLE                 → a key, shown once
 *
 * They only read stdin and write stdout (the caller passes the streams), so a
 * secret never lands in argv, the environment or a file we choose.
 */

static gboolean
read_password(GInputStream *input, char *buf, gsize size, gsize *len, GError **error)
{
	gsize total = 0;

	/* read to EOF or the first newline: `echo pw | ...` and a typed line both work */
	while (total < size) {
		gssize n = g_input_stream_read(input, buf + total, size - total, NULL, error);
		if (n < 0)
			return FALSE;
		if (n == 0)
			break;
		total += n;
		if (memchr(buf, '\n', total) != NULL)
			break;
	}
	if (memchr(buf, '\n', total) != NULL)
		total = (char *)memchr(buf, '\n', total) - buf;
	else if (total == size) {
		g_set_error(error,
			    G_IO_ERROR,
			    G_IO_ERROR_INVALID_DATA,
			    "password longer than %u bytes",
			    (guint)MS_GATEWAY_TOOLS_MAX_PASSWORD);
		return FALSE;
	}
	if (total > 0 && buf[total - 1] == '\r')
		total--;
	*len = total;
	return TRUE;
}

/**
 * ms_gateway_tools_hash_password:
 *
 * Reads one password line from @input and writes its yescrypt hash and a
 * newline to @output.
 */
gboolean
ms_gateway_tools_hash_password(GInputStream *input, GOutputStream *output, GError **error)
{
	char buf[MS_GATEWAY_TOOLS_MAX_PASSWORD + 1] = { 0 };
	g_autofree struct crypt_data *data = g_new0(struct crypt_data, 1);
	g_autofree char *setting = NULL;
	g_autofree char *line = NULL;
	const char *hash;
	gsize len = 0;
	gboolean ok;

	ok = read_password(input, buf, sizeof(buf) - 1, &len, error);
	if (ok && len == 0) {
		g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "empty password");
		ok = FALSE;
	}
	if (ok && (memchr(buf, '\0', len) != NULL || !g_utf8_validate_len(buf, len, NULL))) {
		g_set_error_literal(error,
				    G_IO_ERROR,
				    G_IO_ERROR_INVALID_DATA,
				    "password must be UTF-8 text");
		ok = FALSE;
	}
	if (!ok) {
		explicit_bzero(buf, sizeof(buf));
		return FALSE;
	}
	buf[len] = '\0';

	setting = crypt_gensalt_ra("$y$", 0, NULL, 0);
	if (setting == NULL) {
		explicit_bzero(buf, sizeof(buf));
		g_set_error(error,
			    G_IO_ERROR,
			    g_io_error_from_errno(errno),
			    "cannot make a yescrypt salt: %s",
			    g_strerror(errno));
		return FALSE;
	}
	hash = crypt_r(buf, setting, data);
	explicit_bzero(buf, sizeof(buf));
	if (hash == NULL || hash[0] == '*') {
		explicit_bzero(data, sizeof(*data));
		g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_FAILED, "yescrypt failed");
		return FALSE;
	}
	line = g_strconcat(hash, "\n", NULL);
	explicit_bzero(data, sizeof(*data));
	return g_output_stream_write_all(output, line, strlen(line), NULL, NULL, error);
}

/**
 * ms_gateway_tools_new_api_key:
 *
 * Makes a random key (32 bytes from getrandom(), base64url without padding:
 * token68, so it works as `Authorization: Bearer KEY`) and writes it once,
 * followed by the line to add to the api-keys file in the configured
 * sysconfdir, which gateway.service loads as its api-keys credential. Only the
 * key's SHA-256 is ever stored.
 */
gboolean
ms_gateway_tools_new_api_key(const char *name,
			     const char *role,
			     GOutputStream *output,
			     GError **error)
{
	guint8 raw[32];
	g_autofree char *key = NULL;
	g_autofree char *digest = NULL;
	g_autofree char *text = NULL;
	MsRole parsed_role;
	gboolean ok;

	if (!ms_credentials_is_valid_name(name)) {
		g_set_error_literal(error,
				    G_IO_ERROR,
				    G_IO_ERROR_INVALID_ARGUMENT,
				    "invalid name (letters, digits, '._-@', at most 64)");
		return FALSE;
	}
	if (!ms_role_from_string(role, &parsed_role)) {
		g_set_error_literal(error,
				    G_IO_ERROR,
				    G_IO_ERROR_INVALID_ARGUMENT,
				    "role must be user or admin");
		return FALSE;
	}
	if (getrandom(raw, sizeof(raw), 0) != sizeof(raw)) {
		g_set_error(error,
			    G_IO_ERROR,
			    g_io_error_from_errno(errno),
			    "getrandom: %s",
			    g_strerror(errno));
		return FALSE;
	}
	key = g_base64_encode(raw, sizeof(raw));
	explicit_bzero(raw, sizeof(raw));
	g_strdelimit(key, "+", '-');
	g_strdelimit(key, "/", '_');
	*strchr(key, '=') = '\0'; /* 32 bytes always end in one '=' */

	digest = g_compute_checksum_for_string(G_CHECKSUM_SHA256, key, -1);
	text = g_strdup_printf(
		"# the key, shown only now: clients send \"Authorization: Bearer KEY\"\n"
		"%s\n"
		"# the line to add to %s/api-keys (mode 0600), then: systemctl "
		"reload gateway.service\n"
		"%s:%s:%s\n",
		key,
		ms_dirs_get_sysconfdir(),
		name,
		ms_role_to_string(parsed_role),
		digest);
	ok = g_output_stream_write_all(output, text, strlen(text), NULL, NULL, error);
	explicit_bzero(key, strlen(key));
	explicit_bzero(text, strlen(text));
	return ok;
}
