/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>
#include <string.h>

#include "gateway/adapters/config/ms-gateway-tools.h"

/* a yescrypt hash of @password made the way an administrator makes one */
static inline char *
ms_security_test_hash(const char *password)
{
	g_autofree char *line = g_strconcat(password, "\n", NULL);
	g_autoptr(GInputStream) in =
		g_memory_input_stream_new_from_data(g_strdup(line), -1, g_free);
	g_autoptr(GOutputStream) out = g_memory_output_stream_new_resizable();
	g_autoptr(GError) error = NULL;
	g_autofree char *hash = NULL;

	g_assert_true(ms_gateway_tools_hash_password(in, out, &error));
	g_assert_no_error(error);
	g_output_stream_write_all(out, "", 1, NULL, NULL, NULL);
	g_output_stream_close(out, NULL, NULL);
	hash = g_memory_output_stream_steal_data(G_MEMORY_OUTPUT_STREAM(out));
	g_assert_true(g_str_has_suffix(hash, "\n"));
	hash[strlen(hash) - 1] = '\0';
	return g_steal_pointer(&hash);
}

static inline char *
ms_security_test_sha256(const char *key)
{
	return g_compute_checksum_for_string(G_CHECKSUM_SHA256, key, -1);
}
