/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "mira-util"

#include "mira-util.h"

#include "mira-time.h"

#include <errno.h>
#include <string.h>
#include <sys/random.h>

void
mira_random_bytes (guint8 *buf,
                   gsize   len)
{
  gsize done = 0;

  while (done < len)
    {
      gssize n = getrandom (buf + done, len - done, 0);

      if (n < 0)
        {
          if (errno == EINTR)
            continue;
          g_error ("getrandom() failed: %s", g_strerror (errno));
        }
      done += (gsize) n;
    }
}

char *
mira_random_hex (gsize n_bytes)
{
  static const char digits[] = "0123456789abcdef";
  g_autofree guint8 *buf = g_malloc (n_bytes);
  char *hex = g_malloc (n_bytes * 2 + 1);

  mira_random_bytes (buf, n_bytes);
  for (gsize i = 0; i < n_bytes; i++)
    {
      hex[2 * i] = digits[buf[i] >> 4];
      hex[2 * i + 1] = digits[buf[i] & 0xf];
    }
  hex[n_bytes * 2] = '\0';
  return hex;
}

char *
mira_uuid_new (void)
{
  guint8 b[16];

  mira_random_bytes (b, sizeof b);
  b[6] = (b[6] & 0x0f) | 0x40;   /* version 4 */
  b[8] = (b[8] & 0x3f) | 0x80;   /* RFC 4122 variant */
  return g_strdup_printf ("%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
                          b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7],
                          b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
}

char *
mira_network_id_new (void)
{
  g_autofree char *hex = mira_random_hex (16);
  return g_strconcat ("net_", hex, NULL);
}

char *
mira_client_id_new (void)
{
  g_autofree char *hex = mira_random_hex (8);
  return g_strconcat ("client_", hex, NULL);
}

char *
mira_token_new (const char *prefix)
{
  g_autofree char *hex = mira_random_hex (32);   /* 256 bits */
  return g_strconcat (prefix, hex, NULL);
}

char *
mira_sha256_hex (const char *text)
{
  return g_compute_checksum_for_string (G_CHECKSUM_SHA256, text, -1);
}

/* Compares in time that depends only on the length of @b, the expected value. */
gboolean
mira_secure_equal (const char *a,
                   const char *b)
{
  gsize la, lb;
  guint diff;

  if (a == NULL || b == NULL)
    return FALSE;
  la = strlen (a);
  lb = strlen (b);
  diff = la ^ lb;
  for (gsize i = 0; i < lb; i++)
    diff |= (guint) (guchar) b[i] ^ (guint) (guchar) (i < la ? a[i] : 0);
  return diff == 0;
}

gboolean
mira_str_is_blank (const char *str)
{
  for (const char *p = str; *p != '\0'; p = g_utf8_next_char (p))
    if (!g_unichar_isspace (g_utf8_get_char (p)))
      return FALSE;
  return TRUE;
}

static gboolean
is_lower_hex (const char *s,
              gsize       n)
{
  for (gsize i = 0; i < n; i++)
    if (!g_ascii_isxdigit (s[i]) || g_ascii_isupper (s[i]))
      return FALSE;
  return TRUE;
}

gboolean
mira_is_uuid (const char *str)
{
  if (str == NULL || strlen (str) != 36)
    return FALSE;
  for (guint i = 0; i < 36; i++)
    {
      if (i == 8 || i == 13 || i == 18 || i == 23)
        {
          if (str[i] != '-')
            return FALSE;
        }
      else if (!g_ascii_isxdigit (str[i]))
        return FALSE;
    }
  return TRUE;
}

gboolean
mira_is_network_id (const char *str)
{
  return str != NULL && strlen (str) == 36 && g_str_has_prefix (str, "net_") &&
         is_lower_hex (str + 4, 32);
}

gboolean
mira_is_client_id (const char *str)
{
  gsize len;

  if (str == NULL || !g_ascii_isalnum (str[0]))
    return FALSE;
  len = strlen (str);
  if (len > 50)
    return FALSE;
  for (gsize i = 1; i < len; i++)
    if (!g_ascii_isalnum (str[i]) && str[i] != '_' && str[i] != '.' && str[i] != '-')
      return FALSE;
  return TRUE;
}

#define CLIENT_ID_BASE_MAX 41   /* + '-' + 8 hex digits = 50 */

char *
mira_client_id_from_name (const char *name)
{
  g_autofree char *valid = NULL;
  g_autofree char *nfc = NULL;
  g_autofree char *nfkd = NULL;
  g_autofree char *hash = NULL;
  g_autoptr(GString) base = g_string_new (NULL);

  g_return_val_if_fail (name != NULL, NULL);

  if (mira_is_client_id (name))
    return g_strdup (name);

  valid = g_utf8_make_valid (name, -1);
  nfc = g_utf8_normalize (valid, -1, G_NORMALIZE_NFC);
  hash = mira_sha256_hex (nfc);
  /* Compatibility decomposition: "ﬁ" becomes "fi", "é" an "e" and its accent. */
  nfkd = g_utf8_normalize (valid, -1, G_NORMALIZE_NFKD);
  for (const char *p = nfkd; *p != '\0' && base->len < CLIENT_ID_BASE_MAX;
       p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (c < 0x80 && g_ascii_isalnum ((char) c))
        g_string_append_c (base, g_ascii_tolower ((char) c));
      else if (g_unichar_ismark (c))
        continue;
      else if (base->len > 0 && base->str[base->len - 1] != '-')
        g_string_append_c (base, '-');
    }
  while (base->len > 0 && base->str[base->len - 1] == '-')
    g_string_truncate (base, base->len - 1);
  if (base->len == 0)
    g_string_append (base, "device");
  g_string_append_printf (base, "-%.8s", hash);
  return g_string_free (g_steal_pointer (&base), FALSE);
}

GHashTable *
mira_query_parse (const char  *query,
                  GError     **error)
{
  return g_uri_parse_params (query, -1, "&", G_URI_PARAMS_WWW_FORM, error);
}

char *
mira_timestamp_from_unix_ms (gint64 ms)
{
  g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc (ms / 1000);

  if (dt == NULL)
    return NULL;
  return g_strdup_printf ("%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
                          g_date_time_get_year (dt), g_date_time_get_month (dt),
                          g_date_time_get_day_of_month (dt), g_date_time_get_hour (dt),
                          g_date_time_get_minute (dt), g_date_time_get_second (dt),
                          (int) (ms % 1000));
}

char *
mira_timestamp_now (void)
{
  return mira_timestamp_from_unix_ms (g_get_real_time () / 1000);
}

/* A timestamp the server wrote, or any RFC 3339 date-time (one without an
 * offset is read as UTC: this is for the server's own texts, never a
 * client's, which mira_time_parse() reads in their network's zone).
 */
gint64
mira_timestamp_to_unix_ms (const char *text)
{
  static GTimeZone *utc;
  gint64 ms;

  if (g_once_init_enter (&utc))
    g_once_init_leave (&utc, g_time_zone_new_utc ());
  if (text == NULL || !mira_time_parse (text, utc, MIRA_TIME_PARSE_DEFAULT, &ms, NULL))
    return G_MININT64;
  return ms;
}

char *
mira_timestamp_normalize (const char *text)
{
  gint64 ms = mira_timestamp_to_unix_ms (text);

  if (ms == G_MININT64)
    return NULL;
  return mira_timestamp_from_unix_ms (ms);
}

static guint
attach_timeout (GSource     *source,
                GSourceFunc  func,
                gpointer     data)
{
  g_autoptr(GMainContext) context = g_main_context_ref_thread_default ();
  guint id;

  g_source_set_callback (source, func, data, NULL);
  id = g_source_attach (source, context);
  g_source_unref (source);
  return id;
}

guint
mira_timeout_add (guint       interval_ms,
                  GSourceFunc func,
                  gpointer    data)
{
  return attach_timeout (g_timeout_source_new (interval_ms), func, data);
}

guint
mira_timeout_add_seconds (guint       interval_s,
                          GSourceFunc func,
                          gpointer    data)
{
  return attach_timeout (g_timeout_source_new_seconds (interval_s), func, data);
}

void
mira_source_remove (guint id)
{
  g_autoptr(GMainContext) context = g_main_context_ref_thread_default ();
  GSource *source = g_main_context_find_source_by_id (context, id);

  g_return_if_fail (source != NULL);
  g_source_destroy (source);
}

void
mira_invoke (GMainContext   *context,
             GSourceFunc     func,
             gpointer        data,
             GDestroyNotify  notify)
{
  GSource *source = g_idle_source_new ();

  g_source_set_priority (source, G_PRIORITY_DEFAULT);
  g_source_set_callback (source, func, data, notify);
  g_source_set_static_name (source, "mira-invoke");
  g_source_attach (source, context);
  g_source_unref (source);
}
