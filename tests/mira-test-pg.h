/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* A throw-away PostgreSQL cluster for the tests of one process, listening
 * only on a Unix socket in its temporary directory: under /dev/shm when that
 * tmpfs has room, else /tmp ($MIRA_TEST_TMPDIR overrides). It is started on
 * first use, and stopped and removed at exit, or by a watchdog if the test
 * crashes. Failing to start it is fatal: tests are never skipped.
 * $MIRA_TEST_PG_BINDIR overrides the newest /usr/lib/postgresql/N/bin.
 */

/* Starts the cluster if needed; the URI of its database mira_test */
char       *mira_test_pg_start          (void);
/* Starts the cluster if needed; the URI of a new, empty database in it */
char       *mira_test_pg_new_database   (void);
void        mira_test_pg_stop           (void);
/* Stops the server (fast: sessions are terminated) and starts it again */
void        mira_test_pg_restart        (void);
/* Stops the server keeping its data; resume starts it again on the same socket. */
void        mira_test_pg_pause          (void);
void        mira_test_pg_resume         (void);
const char *mira_test_pg_socket_dir     (void);

/* sqlite:///… of a new database file in this process's temporary directory */
char       *mira_test_sqlite_uri        (void);

G_END_DECLS
