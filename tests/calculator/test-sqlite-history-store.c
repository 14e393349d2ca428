/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <glib/gstdio.h>
#include <sqlite3.h>

#include "adapters/ms-sqlite-history-store.h"
#include "ms-test-utils.h"

/* the SQLite adapter against real files in a temporary directory */

typedef struct {
	char *dir;
	char *path;
} Fixture;

static void
fixture_setup(Fixture *f, gconstpointer data)
{
	f->dir = ms_test_dir_new();
	f->path = g_build_filename(f->dir, "calculator.db", NULL);
}

static void
fixture_teardown(Fixture *f, gconstpointer data)
{
	ms_test_dir_remove(f->dir);
	g_free(f->path);
	g_free(f->dir);
}

static sqlite3 *
raw_open(Fixture *f)
{
	sqlite3 *db = NULL;

	g_assert_cmpint(sqlite3_open(f->path, &db), ==, SQLITE_OK);
	return db;
}

static int
raw_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *stmt = NULL;
	int value;

	g_assert_cmpint(sqlite3_prepare_v2(db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
	g_assert_cmpint(sqlite3_step(stmt), ==, SQLITE_ROW);
	value = sqlite3_column_int(stmt, 0);
	sqlite3_finalize(stmt);
	return value;
}

static MsHistoryStore *
store_open(Fixture *f)
{
	g_autoptr(GError) error = NULL;
	MsHistoryStore *store = ms_sqlite_history_store_new(f->path, 100, &error);

	g_assert_no_error(error);
	g_assert_nonnull(store);
	return store;
}

static void
append(MsHistoryStore *store, const char *user, const char *expression, double result)
{
	g_autoptr(GError) error = NULL;
	gint64 id = 0;

	g_assert_true(ms_history_store_append(store,
					      user,
					      expression,
					      result,
					      g_get_real_time(),
					      &id,
					      &error));
	g_assert_no_error(error);
	g_assert_cmpint(id, >, 0);
}

static void
test_migrate_from_zero(Fixture *f, gconstpointer data)
{
	sqlite3 *db = raw_open(f);
	g_autoptr(MsHistoryStore) store = NULL;

	/* an existing database of schema version 0, with something else in it */
	g_assert_cmpint(sqlite3_exec(db, "CREATE TABLE unrelated (x)", NULL, NULL, NULL), ==, 0);
	g_assert_cmpint(raw_int(db, "PRAGMA user_version"), ==, 0);
	sqlite3_close(db);

	store = store_open(f);
	db = raw_open(f);
	g_assert_cmpint(raw_int(db, "PRAGMA user_version"), ==, MS_SQLITE_HISTORY_SCHEMA_VERSION);
	g_assert_cmpint(raw_int(db, "SELECT count(*) FROM sqlite_master WHERE name = 'history'"),
			==,
			1);
	g_assert_cmpint(raw_int(db, "SELECT count(*) FROM sqlite_master WHERE name = 'unrelated'"),
			==,
			1);
	g_assert_cmpint(raw_int(db, "SELECT journal_mode = 'wal' FROM pragma_journal_mode"), ==, 1);
	sqlite3_close(db);

	/* opening a migrated database again changes nothing */
	append(store, "ada", "1+1", 2);
	g_clear_object(&store);
	store = store_open(f);
	db = raw_open(f);
	g_assert_cmpint(raw_int(db, "SELECT count(*) FROM history"), ==, 1);
	sqlite3_close(db);
}

static void
test_newer_schema(Fixture *f, gconstpointer data)
{
	sqlite3 *db = raw_open(f);
	g_autoptr(GError) error = NULL;
	g_autoptr(MsHistoryStore) store = NULL;

	g_assert_cmpint(sqlite3_exec(db, "PRAGMA user_version = 99", NULL, NULL, NULL), ==, 0);
	sqlite3_close(db);
	store = ms_sqlite_history_store_new(f->path, 100, &error);
	g_assert_null(store);
	g_assert_error(error, MS_HISTORY_STORE_ERROR, MS_HISTORY_STORE_ERROR_FAILED);
	g_assert_nonnull(strstr(error->message, "99"));
}

static void
test_unopenable(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *path = g_build_filename(f->dir, "missing", "calculator.db", NULL);
	g_autoptr(MsHistoryStore) store = ms_sqlite_history_store_new(path, 100, &error);

	g_assert_null(store);
	g_assert_error(error, MS_HISTORY_STORE_ERROR, MS_HISTORY_STORE_ERROR_FAILED);
	g_assert_nonnull(strstr(error->message, path));
}

static void
test_paging_and_isolation(Fixture *f, gconstpointer data)
{
	g_autoptr(MsHistoryStore) store = store_open(f);
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) first = NULL;
	g_autoptr(GPtrArray) second = NULL;
	g_autoptr(GPtrArray) other = NULL;
	guint64 deleted = 0;

	for (int i = 1; i <= 5; i++) {
		g_autofree char *text = g_strdup_printf("%d", i);
		append(store, "ada", text, i);
		append(store, "bob", "0.5", 0.5);
	}
	first = ms_history_store_list(store, "ada", 0, 3, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(first->len, ==, 3);
	for (guint i = 0; i < 3; i++) {
		MsHistoryEntry *e = g_ptr_array_index(first, i);
		g_assert_cmpstr(e->user, ==, "ada");
		g_assert_cmpfloat(e->result, ==, 5 - i);
	}
	second = ms_history_store_list(store,
				       "ada",
				       ((MsHistoryEntry *)g_ptr_array_index(first, 2))->id,
				       3,
				       &error);
	g_assert_cmpuint(second->len, ==, 2);
	g_assert_cmpstr(((MsHistoryEntry *)g_ptr_array_index(second, 1))->expression, ==, "1");

	g_assert_true(ms_history_store_clear(store, "ada", &deleted, &error));
	g_assert_cmpuint(deleted, ==, 5);
	g_clear_pointer(&first, g_ptr_array_unref);
	first = ms_history_store_list(store, "ada", 0, 3, &error);
	g_assert_cmpuint(first->len, ==, 0);
	other = ms_history_store_list(store, "bob", 0, 100, &error);
	g_assert_cmpuint(other->len, ==, 5);
	g_assert_cmpfloat(((MsHistoryEntry *)g_ptr_array_index(other, 0))->result, ==, 0.5);
}

static void
test_ids_not_reused(Fixture *f, gconstpointer data)
{
	g_autoptr(MsHistoryStore) store = store_open(f);
	g_autoptr(GPtrArray) entries = NULL;
	gint64 first = 0, second = 0;

	g_assert_true(ms_history_store_append(store, "ada", "1", 1, 0, &first, NULL));
	g_assert_true(ms_history_store_clear(store, "ada", NULL, NULL));
	g_assert_true(ms_history_store_append(store, "ada", "2", 2, 0, &second, NULL));
	/* a paging cursor must never point into newer entries */
	g_assert_cmpint(second, >, first);
	entries = ms_history_store_list(store, "ada", 0, 10, NULL);
	g_assert_cmpint(((MsHistoryEntry *)g_ptr_array_index(entries, 0))->created_at, ==, 0);
}

static void
test_locked(Fixture *f, gconstpointer data)
{
	g_autoptr(MsHistoryStore) store = store_open(f);
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) entries = NULL;
	sqlite3 *db = raw_open(f);

	append(store, "ada", "1", 1);
	/* another writer holds the lock longer than the store's busy timeout */
	g_assert_cmpint(sqlite3_exec(db, "BEGIN EXCLUSIVE", NULL, NULL, NULL), ==, SQLITE_OK);
	g_assert_false(
		ms_history_store_append(store, "ada", "2", 2, g_get_real_time(), NULL, &error));
	g_assert_error(error, MS_HISTORY_STORE_ERROR, MS_HISTORY_STORE_ERROR_BUSY);
	g_clear_error(&error);
	g_assert_false(ms_history_store_clear(store, "ada", NULL, &error));
	g_assert_error(error, MS_HISTORY_STORE_ERROR, MS_HISTORY_STORE_ERROR_BUSY);
	g_clear_error(&error);
	/* WAL: readers go on meanwhile */
	entries = ms_history_store_list(store, "ada", 0, 10, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(entries->len, ==, 1);
	g_assert_cmpint(sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL), ==, SQLITE_OK);
	sqlite3_close(db);
	/* and the store works again once the lock is gone */
	append(store, "ada", "3", 3);
}

static void
test_not_a_database(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(MsHistoryStore) store = NULL;
	g_autofree char *garbage = g_strnfill(4096, 'x');

	/* a file that is there but is no SQLite database: refused at start, with why */
	g_assert_true(g_file_set_contents(f->path, garbage, -1, NULL));
	store = ms_sqlite_history_store_new(f->path, 100, &error);
	g_assert_null(store);
	g_assert_error(error, MS_HISTORY_STORE_ERROR, MS_HISTORY_STORE_ERROR_FAILED);
	g_assert_nonnull(strstr(error->message, "not a database"));
}

static void
test_migration_fails(Fixture *f, gconstpointer data)
{
	sqlite3 *db = raw_open(f);
	g_autoptr(GError) error = NULL;
	g_autoptr(MsHistoryStore) store = NULL;

	/* version 0, but a name the first migration needs is taken */
	g_assert_cmpint(
		sqlite3_exec(db,
			     "CREATE TABLE other (x); CREATE INDEX history_user_id ON other (x)",
			     NULL,
			     NULL,
			     NULL),
		==,
		SQLITE_OK);
	sqlite3_close(db);
	store = ms_sqlite_history_store_new(f->path, 100, &error);
	g_assert_null(store);
	g_assert_error(error, MS_HISTORY_STORE_ERROR, MS_HISTORY_STORE_ERROR_FAILED);
	g_assert_nonnull(strstr(error->message, "migrating the schema: "));

	/* no half-migrated schema left: the next start finds what was there */
	db = raw_open(f);
	g_assert_cmpint(raw_int(db, "PRAGMA user_version"), ==, 0);
	g_assert_cmpint(raw_int(db, "SELECT count(*) FROM sqlite_master WHERE name = 'history'"),
			==,
			0);
	sqlite3_close(db);
}

int
main(int argc, char **argv)
{
	ms_test_init(&argc, &argv);
#define ADD(path, func) g_test_add(path, Fixture, NULL, fixture_setup, func, fixture_teardown)
	ADD("/sqlite-history-store/migrate-from-zero", test_migrate_from_zero);
	ADD("/sqlite-history-store/newer-schema", test_newer_schema);
	ADD("/sqlite-history-store/unopenable", test_unopenable);
	ADD("/sqlite-history-store/paging-and-isolation", test_paging_and_isolation);
	ADD("/sqlite-history-store/ids-not-reused", test_ids_not_reused);
	ADD("/sqlite-history-store/locked", test_locked);
	ADD("/sqlite-history-store/not-a-database", test_not_a_database);
	ADD("/sqlite-history-store/migration-fails", test_migration_fails);
#undef ADD
	return g_test_run();
}
