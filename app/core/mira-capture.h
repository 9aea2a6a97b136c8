/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "mira-core-types.h"

G_BEGIN_DECLS

/* MiraCapture: the microphone to the network, GTK-free.
 *
 *   source ! audioconvert ! audioresample ! audio/x-raw,rate=16000,channels=1
 *          ! level ! opusenc (20 ms frames) ! appsink
 *
 * The source is, in order: the MIRA_AUDIO_SOURCE environment variable, the
 * "audio-source" property (any gst-launch description, e.g.
 * "filesrc location=x.wav ! wavparse"), the device named by "device-id"
 * (from mira_capture_get_devices()), else autoaudiosrc. Packets go out on
 * this device's audio socket with the Wyoming framing of API.md
 * (audio-start, audio-chunk per Opus packet, audio-stop). The appsink thread
 * only hands packets to the owning context; it never touches GTK.
 *
 * Properties: state (MiraCaptureState), level (double, dBFS of the last
 * 100 ms, -100 when silent or idle), error (GError boxed, or NULL: why the
 * state is FAILED — MIRA_CORE_ERROR_NO_MICROPHONE, _MICROPHONE_BUSY,
 * _MICROPHONE_DENIED, or the server's refusal), audio-source, device-id,
 * audio-url (this device's audio socket, ws:// or wss:// with codec=opus
 * and the token in the query, as mira_connection_dup_audio_url() gives).
 *
 * Signal: transcript (const char *text, const char *interaction_id): the
 * server chose this device's stream for an utterance and sent its words.
 *
 * A dropped audio socket is reopened with backoff while recording (state
 * STARTING meanwhile; the pipeline keeps running and the last second of
 * audio waits for the new socket); the end of a file source sends
 * audio-stop and stops recording (IDLE).
 */

#define MIRA_TYPE_CAPTURE (mira_capture_get_type ())
G_DECLARE_FINAL_TYPE (MiraCapture, mira_capture, MIRA, CAPTURE, GObject)

MiraCapture      *mira_capture_new              (void);
void              mira_capture_set_audio_url    (MiraCapture     *self,
                                                 const char      *audio_url);
const char       *mira_capture_get_audio_url    (MiraCapture     *self);
void              mira_capture_set_audio_source (MiraCapture     *self,
                                                 const char      *description);
const char       *mira_capture_get_audio_source (MiraCapture     *self);
void              mira_capture_set_device_id    (MiraCapture     *self,
                                                 const char      *device_id);
const char       *mira_capture_get_device_id    (MiraCapture     *self);

/* Starts recording; failures are reported through state and error. */
void              mira_capture_start            (MiraCapture     *self);
/* Sends audio-stop, closes the socket, tears the pipeline down. */
void              mira_capture_stop             (MiraCapture     *self);
MiraCaptureState  mira_capture_get_state        (MiraCapture     *self);
double            mira_capture_get_level        (MiraCapture     *self);
const GError     *mira_capture_get_error        (MiraCapture     *self);

/* A GListModel of MiraAudioDevice: the microphones GstDeviceMonitor sees,
 * kept up to date as they come and go.
 */
GListModel       *mira_capture_get_devices      (MiraCapture     *self);

#define MIRA_TYPE_AUDIO_DEVICE (mira_audio_device_get_type ())
G_DECLARE_FINAL_TYPE (MiraAudioDevice, mira_audio_device, MIRA, AUDIO_DEVICE, GObject)

/* Properties: device-id (stable across runs), display-name */
const char       *mira_audio_device_get_device_id    (MiraAudioDevice *self);
const char       *mira_audio_device_get_display_name (MiraAudioDevice *self);

G_END_DECLS
