/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* Wyoming events (https://github.com/rhasspy/wyoming) as they arrive on the
 * audio WebSocket: a JSON header line, optionally `data_length` bytes of
 * extra JSON merged over `data`, then `payload_length` bytes of payload.
 * The parser accepts the WebSocket layout (header in a text frame, payload
 * in the next binary frame), the TCP layout carried in binary frames (header
 * line and payload in one frame, or spread over several), and bare binary
 * audio after an `audio-start`. It only parses: no I/O, no decoding.
 */

#define MIRA_WYOMING_ERROR (mira_wyoming_error_quark ())

/* Why the parser stops: the peer broke the protocol */
typedef enum {
  MIRA_WYOMING_ERROR_MALFORMED,        /* a header that is not one, frames out of order */
  MIRA_WYOMING_ERROR_TOO_LARGE,        /* a header, data or payload over its limit */
  MIRA_WYOMING_ERROR_TOO_MANY_EVENTS,  /* too many events in one message */
} MiraWyomingError;

GQuark             mira_wyoming_error_quark           (void);

typedef struct {
  char        *type;     /* "audio-chunk", never NULL or empty */
  JsonObject  *data;     /* never NULL; `data` with `data_length` JSON merged over it;
                          * read-only: events of one parser may share it */
  GBytes      *payload;  /* NULL when the event has no payload */
} MiraWyomingEvent;

typedef struct _MiraWyomingParser MiraWyomingParser;

/* Default for mira_wyoming_parser_new(): well above one second of
 * 48 kHz stereo s32 audio.
 */
#define MIRA_WYOMING_DEFAULT_MAX_PAYLOAD (1024 * 1024)

MiraWyomingEvent  *mira_wyoming_event_new             (const char          *type,
                                                       JsonObject          *data,
                                                       GBytes              *payload);
void               mira_wyoming_event_free            (MiraWyomingEvent    *event);
gint64             mira_wyoming_event_get_int         (const MiraWyomingEvent *event,
                                                       const char          *name,
                                                       gint64               default_value);

MiraWyomingParser *mira_wyoming_parser_new            (gsize                max_payload);
void               mira_wyoming_parser_free           (MiraWyomingParser   *parser);

/* Bare binary frames before any `audio-start` are an error unless a default
 * format is set (ws_omi: devices that stream raw Opus packets).
 */
void               mira_wyoming_parser_set_default_format (MiraWyomingParser *parser,
                                                       guint                rate,
                                                       guint                width,
                                                       guint                channels);

/* Each call appends the complete events (MiraWyomingEvent *, owned by the
 * array, which should have mira_wyoming_event_free as its free func) to
 * @events_out. On error (MIRA_WYOMING_ERROR) the parser is in an undefined
 * state: close the connection with mira_wyoming_error_close_code().
 */
gboolean           mira_wyoming_parser_feed_text      (MiraWyomingParser   *parser,
                                                       const char          *data,
                                                       gsize                len,
                                                       GPtrArray           *events_out,
                                                       GError             **error);
gboolean           mira_wyoming_parser_feed_binary    (MiraWyomingParser   *parser,
                                                       const guint8        *data,
                                                       gsize                len,
                                                       GPtrArray           *events_out,
                                                       GError             **error);

/* TRUE when no event is half received. */
gboolean           mira_wyoming_parser_is_idle        (MiraWyomingParser   *parser);

/* The WebSocket close code for an error of the parser: 1009 too large,
 * 1003 malformed, 1008 anything else (policy).
 */
guint              mira_wyoming_error_close_code      (const GError        *error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MiraWyomingEvent, mira_wyoming_event_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MiraWyomingParser, mira_wyoming_parser_free)

G_END_DECLS
