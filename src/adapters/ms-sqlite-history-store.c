/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "ms-sqlite-history-store.h"

#include <sqlite3.h>

/*
 * The history in a local SQLite file. Every call runs synchronously on the caller's
 * (main) thread: the statements are short and the file is local, and a write is
 * answered only after it is committed. WAL mode lets readers go on while
 * one writer commits; busy_timeout makes a locked database wait a little, then the
 * caller gets MS_HISTORY_STORE_ERROR_BUSY (a 503), never a crash.
 */
struct _MsSqliteHistoryStore {
	GObject parent_instance;
	sqlite3 *db;
	sqlite3_stmt *insert;
	sqlite3_stmt *list;
	sqlite3_stmt *clear;
};

static void
ms_sqlite_history_store_iface_init(MsHistoryStoreInterface *iface);

G_DEFINE_TYPE_WITH_CODE(MsSqliteHistoryStore,
			ms_sqlite_history_store,
			G_TYPE_OBJECT,
			G_IMPLEMENT_INTERFACE(MS_TYPE_HISTORY_STORE,
					      ms_sqlite_history_store_iface_init))

/* each step of the schema, from user_version i to i + 1 */
static const char *const migrations[] = {
	"CREATE TABLE history ("
	"  id INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  user TEXT NOT NULL,"
	"  expression TEXT NOT NULL,"
	"  result REAL NOT NULL,"
	"  created_at INTEGER NOT NULL);"
	"CREATE INDEX history_user_id ON history (user, id);",
};

G_STATIC_ASSERT(G_N_ELEMENTS(migrations) == MS_SQLITE_HISTORY_SCHEMA_VERSION);

static gboolean
sqlite_error_set(GError **error, sqlite3 *db, int rc, const char *what)
{
	MsHistoryStoreError code = MS_HISTORY_STORE_ERROR_FAILED;
	int primary = rc & 0xff;

	if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED)
		code = MS_HISTORY_STORE_ERROR_BUSY;
	else if (primary == SQLITE_FULL)
		code = MS_HISTORY_STORE_ERROR_FULL;
	g_set_error(error,
		    MS_HISTORY_STORE_ERROR,
		    code,
		    "%s: %s",
		    what,
		    db != NULL ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
	return FALSE;
}

static gboolean
exec(MsSqliteHistoryStore *self, const char *sql, const char *what, GError **error)
{
	int rc = sqlite3_exec(self->db, sql, NULL, NULL, NULL);

	if (rc != SQLITE_OK)
		return sqlite_error_set(error, self->db, rc, what);
	return TRUE;
}

static gboolean
user_version_get(MsSqliteHistoryStore *self, int *version, GError **error)
{
	sqlite3_stmt *stmt = NULL;
	int rc = sqlite3_prepare_v2(self->db, "PRAGMA user_version", -1, &stmt, NULL);

	if (rc == SQLITE_OK)
		rc = sqlite3_step(stmt);
	if (rc != SQLITE_ROW) {
		sqlite3_finalize(stmt);
		return sqlite_error_set(error, self->db, rc, "reading the schema version");
	}
	*version = sqlite3_column_int(stmt, 0);
	sqlite3_finalize(stmt);
	return TRUE;
}

static gboolean
migrate(MsSqliteHistoryStore *self, GError **error)
{
	int version = 0;

	/* an exclusive transaction: two starting processes cannot migrate twice */
	if (!exec(self, "BEGIN IMMEDIATE", "starting the migration", error))
		return FALSE;
	if (!user_version_get(self, &version, error)) {
		exec(self, "ROLLBACK", "rollback", NULL);
		return FALSE;
	}
	if (version > MS_SQLITE_HISTORY_SCHEMA_VERSION) {
		exec(self, "ROLLBACK", "rollback", NULL);
		g_set_error(error,
			    MS_HISTORY_STORE_ERROR,
			    MS_HISTORY_STORE_ERROR_FAILED,
			    "the database has schema version %d, newer than this program's %d",
			    version,
			    MS_SQLITE_HISTORY_SCHEMA_VERSION);
		return FALSE;
	}
	for (int i = version; i < MS_SQLITE_HISTORY_SCHEMA_VERSION; i++) {
		g_autofree char *bump = g_strdup_printf("PRAGMA user_version = %d", i + 1);
		if (!exec(self, migrations[i], "migrating the schema", error) ||
		    !exec(self, bump, "setting the schema version", error)) {
			exec(self, "ROLLBACK", "rollback", NULL);
			return FALSE;
		}
	}
	return exec(self, "COMMIT", "committing the migration", error);
}

static gboolean
prepare(MsSqliteHistoryStore *self, const char *sql, sqlite3_stmt **stmt, GError **error)
{
	int rc = sqlite3_prepare_v3(self->db, sql, -1, SQLITE_PREPARE_PERSISTENT, stmt, NULL);

	if (rc != SQLITE_OK)
		return sqlite_error_set(error, self->db, rc, "preparing a statement");
	return TRUE;
}

static gboolean
ms_sqlite_history_store_append(MsHistoryStore *store,
			       const char *user,
			       const char *expression,
			       double result,
			       gint64 created_at,
			       gint64 *id,
			       GError **error)
{
	MsSqliteHistoryStore *self = MS_SQLITE_HISTORY_STORE(store);
	int rc;

	sqlite3_bind_text(self->insert, 1, user, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(self->insert, 2, expression, -1, SQLITE_TRANSIENT);
	sqlite3_bind_double(self->insert, 3, result);
	sqlite3_bind_int64(self->insert, 4, created_at);
	rc = sqlite3_step(self->insert);
	sqlite3_reset(self->insert);
	sqlite3_clear_bindings(self->insert);
	if (rc != SQLITE_DONE)
		return sqlite_error_set(error, self->db, rc, "storing a calculation");
	*id = sqlite3_last_insert_rowid(self->db);
	return TRUE;
}

static GPtrArray *
ms_sqlite_history_store_list(MsHistoryStore *store,
			     const char *user,
			     gint64 before_id,
			     guint limit,
			     GError **error)
{
	MsSqliteHistoryStore *self = MS_SQLITE_HISTORY_STORE(store);
	g_autoptr(GPtrArray) entries =
		g_ptr_array_new_with_free_func((GDestroyNotify)ms_history_entry_free);
	int rc;

	sqlite3_bind_text(self->list, 1, user, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(self->list, 2, before_id > 0 ? before_id : G_MAXINT64);
	sqlite3_bind_int64(self->list, 3, limit);
	while ((rc = sqlite3_step(self->list)) == SQLITE_ROW) {
		g_ptr_array_add(
			entries,
			ms_history_entry_new(sqlite3_column_int64(self->list, 0),
					     (const char *)sqlite3_column_text(self->list, 1),
					     (const char *)sqlite3_column_text(self->list, 2),
					     sqlite3_column_double(self->list, 3),
					     sqlite3_column_int64(self->list, 4)));
	}
	sqlite3_reset(self->list);
	sqlite3_clear_bindings(self->list);
	if (rc != SQLITE_DONE) {
		sqlite_error_set(error, self->db, rc, "reading the history");
		return NULL;
	}
	return g_steal_pointer(&entries);
}

static gboolean
ms_sqlite_history_store_clear(MsHistoryStore *store,
			      const char *user,
			      guint64 *n_deleted,
			      GError **error)
{
	MsSqliteHistoryStore *self = MS_SQLITE_HISTORY_STORE(store);
	int rc;

	sqlite3_bind_text(self->clear, 1, user, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(self->clear);
	sqlite3_reset(self->clear);
	sqlite3_clear_bindings(self->clear);
	if (rc != SQLITE_DONE)
		return sqlite_error_set(error, self->db, rc, "clearing the history");
	*n_deleted = (guint64)sqlite3_changes64(self->db);
	return TRUE;
}

static void
ms_sqlite_history_store_iface_init(MsHistoryStoreInterface *iface)
{
	iface->append = ms_sqlite_history_store_append;
	iface->list = ms_sqlite_history_store_list;
	iface->clear = ms_sqlite_history_store_clear;
}

static void
ms_sqlite_history_store_finalize(GObject *object)
{
	MsSqliteHistoryStore *self = MS_SQLITE_HISTORY_STORE(object);

	sqlite3_finalize(self->insert);
	sqlite3_finalize(self->list);
	sqlite3_finalize(self->clear);
	sqlite3_close_v2(self->db);
	G_OBJECT_CLASS(ms_sqlite_history_store_parent_class)->finalize(object);
}

static void
ms_sqlite_history_store_class_init(MsSqliteHistoryStoreClass *klass)
{
	G_OBJECT_CLASS(klass)->finalize = ms_sqlite_history_store_finalize;
}

static void
ms_sqlite_history_store_init(MsSqliteHistoryStore *self)
{
}

static gboolean
ms_sqlite_history_store_open(MsSqliteHistoryStore *self,
			     const char *path,
			     guint busy_timeout_ms,
			     GError **error)
{
	int rc = sqlite3_open_v2(path,
				 &self->db,
				 SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX |
					 SQLITE_OPEN_EXRESCODE,
				 NULL);

	if (rc != SQLITE_OK)
		return sqlite_error_set(error, self->db, rc, "opening the database");
	sqlite3_busy_timeout(self->db, (int)busy_timeout_ms);
	/* FULL: a commit survives power loss too, not only a crash of this process */
	if (!exec(self, "PRAGMA journal_mode = WAL", "enabling WAL", error) ||
	    !exec(self, "PRAGMA synchronous = FULL", "setting synchronous", error) ||
	    !exec(self, "PRAGMA foreign_keys = ON", "enabling foreign keys", error) ||
	    !migrate(self, error))
		return FALSE;
	return prepare(self,
		       "INSERT INTO history (user, expression, result, created_at) "
		       "VALUES (?1, ?2, ?3, ?4)",
		       &self->insert,
		       error) &&
	       prepare(self,
		       "SELECT id, user, expression, result, created_at FROM history "
		       "WHERE user = ?1 AND id < ?2 ORDER BY id DESC LIMIT ?3",
		       &self->list,
		       error) &&
	       prepare(self, "DELETE FROM history WHERE user = ?1", &self->clear, error);
}

/**
 * ms_sqlite_history_store_new:
 * @path: the database file; created, and its schema migrated, when needed
 * @busy_timeout_ms: how long a statement waits for another writer's lock
 *
 * Returns: (transfer full): the store, or %NULL with a #MsHistoryStoreError
 */
MsHistoryStore *
ms_sqlite_history_store_new(const char *path, guint busy_timeout_ms, GError **error)
{
	g_autoptr(MsSqliteHistoryStore) self = g_object_new(MS_TYPE_SQLITE_HISTORY_STORE, NULL);

	if (!ms_sqlite_history_store_open(self, path, busy_timeout_ms, error)) {
		g_prefix_error(error, "%s: ", path);
		return NULL;
	}
	return MS_HISTORY_STORE(g_steal_pointer(&self));
}
