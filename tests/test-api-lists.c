/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-api-lists"

/* Lists: paging with limit and offset, at and beyond its edges, and while
 * another client writes.
 */

#include <libsoup/soup.h>

#include "mira-test-api.h"

static void
test_pagination (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr(GString) seen = g_string_new (NULL);

  for (guint i = 0; i < 7; i++)
    create (f->server, f->net, f->net->token, "persons", Q ("{}"));
  create (f->server, f->net, f->net->token, "reminders",
          Q ("{'title': 'a', 'due_time': '2036-01-01T00:00:00Z', 'status': 'completed'}"));
  for (guint i = 0; i < 3; i++)
    create (f->server, f->net, f->net->token, "reminders",
            Q ("{'title': 'b', 'due_time': '2036-01-0%uT00:00:00Z'}", i + 2));

#define LIST(status, query) \
  REQ (f->server, (status), "GET", f->session, NULL, "%s/persons%s", f->net->path, (query))

  {
    g_autoptr(MiraTestResponse) zero = LIST (200, "?limit=0");
    g_autoptr(MiraTestResponse) max = LIST (200, "?limit=500");
    g_autoptr(MiraTestResponse) over = LIST (200, "?limit=501");
    g_autoptr(MiraTestResponse) huge = mira_test_request (f->server, "GET",
                                                          P ("%s/persons?limit=99999999999",
                                                             f->net->path),
                                                          f->session, NULL);
    g_autoptr(MiraTestResponse) beyond = LIST (200, "?offset=100");
    g_autoptr(MiraTestResponse) last = LIST (200, "?limit=3&offset=6");
    g_autoptr(MiraTestResponse) dflt = LIST (200, "");

    g_assert_cmpint (n_items (zero), ==, 0);
    g_assert_cmpint (total_of (zero), ==, 7);
    g_assert_cmpint (jint (OBJ (zero), "limit"), ==, 0);
    g_assert_cmpint (n_items (max), ==, 7);
    g_assert_cmpint (jint (OBJ (max), "limit"), ==, 500);
    g_assert_cmpint (n_items (over), ==, 7);
    g_assert_cmpint (jint (OBJ (over), "limit"), ==, 500);
    g_assert_cmpint (n_items (beyond), ==, 0);
    g_assert_cmpint (total_of (beyond), ==, 7);
    g_assert_cmpint (jint (OBJ (beyond), "offset"), ==, 100);
    g_assert_cmpint (n_items (last), ==, 1);
    g_assert_cmpint (total_of (last), ==, 7);
    g_assert_cmpint (jint (OBJ (dflt), "limit"), ==, 50);
    g_assert_cmpint (jint (OBJ (dflt), "offset"), ==, 0);
    /* refused or clamped, never a 500 */
    if (huge->status == 200)
      g_assert_cmpint (n_items (huge), ==, 7);
    else
      g_assert_cmpuint (huge->status, ==, 400);
  }

  for (guint offset = 0; offset < 7; offset += 3)
    {
      g_autoptr(MiraTestResponse) page = LIST (200, P ("?limit=3&offset=%u", offset));

      g_assert_cmpint (total_of (page), ==, 7);
      g_string_append_printf (seen, "%s ", item_ids (page, "name"));
    }
  g_assert_cmpstr (seen->str, ==,
                   "Speaker 1 Speaker 2 Speaker 3 Speaker 4 Speaker 5 Speaker 6 Speaker 7 ");

  for (guint i = 0; i < 6; i++)
    {
      static const char * const bad[] = {
        "?limit=-1", "?limit=abc", "?offset=-1", "?offset=x", "?limit=", "?limit=1.5",
      };
      g_autoptr(MiraTestResponse) r = LIST (400, bad[i]);

      assert_detail_names (r, g_str_has_prefix (bad[i], "?limit") ? "limit" : "offset");
    }

#undef LIST

  {
    g_autoptr(MiraTestResponse) pending = REQ (f->server, 200, "GET", f->session, NULL,
                                               "%s/reminders?status=pending&limit=2",
                                               f->net->path);
    g_autoptr(MiraTestResponse) beyond = REQ (f->server, 200, "GET", f->session, NULL,
                                              "%s/reminders?status=pending&offset=5",
                                              f->net->path);
    g_autoptr(MiraTestResponse) other = REQ (f->server, 400, "GET", f->session, NULL,
                                             "%s/conversations?limit=-5", f->net->path);
    g_autoptr(MiraTestResponse) settings = REQ (f->server, 400, "GET", f->session, NULL,
                                                "%s/settings?offset=abc", f->net->path);
    g_autoptr(MiraTestResponse) clients = REQ (f->server, 200, "GET", f->session, NULL,
                                               "%s/clients?limit=501", f->net->path);

    g_assert_cmpint (total_of (pending), ==, 3);
    g_assert_cmpint (n_items (pending), ==, 2);
    g_assert_cmpint (total_of (beyond), ==, 3);
    g_assert_cmpint (n_items (beyond), ==, 0);
    g_assert_cmpint (jint (OBJ (clients), "limit"), ==, 500);
  }
}

/* Lists read while another client writes: a page and its total are of the
 * same moment. A last page's total is what it shows, whatever is stored
 * while it is read.
 */
typedef struct
{
  char       *url;
  const char *token;
  const char *body;
  gboolean    stop;
  guint       written;
} Writer;

static gpointer
write_items (gpointer data)
{
  Writer *writer = data;
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(SoupSession) session = NULL;
  g_autofree char *auth = g_strconcat ("Bearer ", writer->token, NULL);

  g_main_context_push_thread_default (context);
  session = soup_session_new ();
  while (!g_atomic_int_get (&writer->stop))
    {
      g_autoptr(SoupMessage) msg = soup_message_new ("POST", writer->url);
      g_autoptr(GBytes) body = g_bytes_new_static (writer->body, strlen (writer->body));
      g_autoptr(GBytes) answer = NULL;

      soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization", auth);
      soup_message_set_request_body_from_bytes (msg, "application/json", body);
      answer = soup_session_send_and_read (session, msg, NULL, NULL);
      if (soup_message_get_status (msg) == SOUP_STATUS_CREATED)
        g_atomic_int_inc (&writer->written);
    }
  g_main_context_pop_thread_default (context);
  return NULL;
}

/* Reads @list (with @list_token) while 150 items are posted to @path (with
 * @token), each read a last page
 */
static void
read_while_written (Fixture    *f,
                    const char *path,
                    const char *token,
                    const char *body,
                    const char *list,
                    const char *list_token)
{
  Writer writer = { 0 };
  GThread *thread;
  guint reads = 0;
  gint64 deadline = g_get_monotonic_time () + 120 * G_USEC_PER_SEC;

  writer.url = g_strconcat (mira_test_server_get_url (f->server), path, NULL);
  writer.token = token;
  writer.body = body;
  thread = g_thread_new ("writer", write_items, &writer);
  while (g_atomic_int_get (&writer.written) < 150)
    {
      g_autoptr(MiraTestResponse) page = REQ (f->server, 200, "GET", list_token, NULL, "%s",
                                              list);

      if (total_of (page) != n_items (page))
        g_error ("%s, read %u: a last page of %u items says total %" G_GINT64_FORMAT,
                 list, reads, n_items (page), total_of (page));
      reads++;
      if (g_get_monotonic_time () > deadline)
        g_error ("only %u written in 120 s", g_atomic_int_get (&writer.written));
    }
  g_atomic_int_set (&writer.stop, TRUE);
  g_thread_join (thread);
  g_test_message ("%s: %u reads while %u were written", list, reads, writer.written);
  g_free (writer.url);
}

static void
test_read_while_written (Fixture       *f,
                         gconstpointer  data)
{
  /* Filtered, so that its total is not the network's counter */
  read_while_written (f, P ("%s/interactions", f->net->path), f->net->token,
                      "{\"content\": \"written while listed\"}",
                      P ("%s/interactions?interaction_type=text&limit=500", f->net->path),
                      f->session);
  read_while_written (f, "/api/v1/networks", MIRA_TEST_ADMIN_TOKEN,
                      "{\"name\": \"Written while listed\"}",
                      "/api/v1/admin/networks?limit=500", MIRA_TEST_ADMIN_TOKEN);
}

/* Main */

int
main (int   argc,
      char *argv[])
{
  static const ApiCase cases[] = {
    { "pagination/edges", test_pagination },
    { "pagination/read-while-written", test_read_while_written },
  };

  return api_cases_run (argc, argv, cases, G_N_ELEMENTS (cases));
}
