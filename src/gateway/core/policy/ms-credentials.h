/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef enum {
	MS_ROLE_NONE = 0,
	MS_ROLE_USER = 1,
	MS_ROLE_ADMIN = 2, /* admin includes user */
} MsRole;

const char *
ms_role_to_string(MsRole role);
gboolean
ms_role_from_string(const char *str, MsRole *role);

#define MS_CREDENTIALS_ERROR ms_credentials_error_quark()
GQuark
ms_credentials_error_quark(void);

typedef enum {
	MS_CREDENTIALS_ERROR_PARSE,
	MS_CREDENTIALS_ERROR_IO,
} MsCredentialsError;

/* the files' names in a credentials directory (systemd's, or a staged set's) */
#define MS_CREDENTIALS_USERS    "users"
#define MS_CREDENTIALS_API_KEYS "api-keys"

#define MS_TYPE_CREDENTIALS (ms_credentials_get_type())
G_DECLARE_FINAL_TYPE(MsCredentials, ms_credentials, MS, CREDENTIALS, GObject)

MsCredentials *
ms_credentials_new(void);
MsCredentials *
ms_credentials_new_from_directory(const char *directory, GError **error);
MsCredentials *
ms_credentials_new_from_environment(GError **error);
gboolean
ms_credentials_load_users(MsCredentials *self,
			  const char *data,
			  gsize len,
			  const char *origin,
			  GError **error);
gboolean
ms_credentials_load_api_keys(MsCredentials *self,
			     const char *data,
			     gsize len,
			     const char *origin,
			     GError **error);
guint
ms_credentials_get_n_users(MsCredentials *self);
guint
ms_credentials_get_n_api_keys(MsCredentials *self);
gboolean
ms_credentials_check_password(MsCredentials *self,
			      const char *user,
			      const char *password,
			      MsRole *role);
gboolean
ms_credentials_check_api_key(MsCredentials *self, const char *key, const char **name, MsRole *role);
gboolean
ms_credentials_is_valid_name(const char *name);
gboolean
ms_constant_time_equal(const void *a, gsize a_len, const void *b, gsize b_len);

G_END_DECLS
