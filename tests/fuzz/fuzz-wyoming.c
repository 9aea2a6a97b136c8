/* SPDX-License-Identifier: GPL-3.0-or-later */

/* libFuzzer target: the Wyoming parser of the audio sockets. The input is a
 * sequence of WebSocket messages: each starts with a byte whose low bit says
 * text or binary and a 16-bit length, as a device's frames arrive.
 */

#include "mira-wyoming.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  g_autoptr(MiraWyomingParser) parser = mira_wyoming_parser_new (64 * 1024);
  g_autoptr(GPtrArray) events = g_ptr_array_new_with_free_func (
                                  (GDestroyNotify) mira_wyoming_event_free);

  if (size > 0 && (data[0] & 2) != 0)
    mira_wyoming_parser_set_default_format (parser, 16000, 2, 1);
  while (size >= 3)
    {
      gboolean text = (data[0] & 1) != 0;
      gsize len = MIN ((gsize) (data[1] | data[2] << 8), size - 3);
      g_autoptr(GError) error = NULL;
      gboolean ok;

      data += 3;
      size -= 3;
      if (text)
        ok = mira_wyoming_parser_feed_text (parser, (const char *) data, len, events, &error);
      else
        ok = mira_wyoming_parser_feed_binary (parser, data, len, events, &error);
      if (!ok)
        {
          g_assert_true (error != NULL);
          g_assert_cmpuint (mira_wyoming_error_close_code (error), >=, 1000);
          break;
        }
      g_assert_no_error (error);
      data += len;
      size -= len;
      g_ptr_array_set_size (events, 0);
    }
  return 0;
}
