/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

/* The app's core: GTK-free. It links GLib, libsoup, json-glib, GStreamer,
 * libsecret and the server library; never GTK. Widgets bind to the
 * properties of the items below and never see JSON.
 */

typedef struct _MiraContext     MiraContext;
typedef struct _MiraConnection  MiraConnection;
typedef struct _MiraCapture     MiraCapture;
typedef struct _MiraHost        MiraHost;
typedef struct _MiraClientItem  MiraClientItem;
typedef struct _MiraInteractionItem MiraInteractionItem;
typedef struct _MiraNetworkItem MiraNetworkItem;
typedef struct _MiraSettingItem MiraSettingItem;
typedef struct _MiraAdmin       MiraAdmin;
typedef struct _MiraConversationItem MiraConversationItem;
typedef struct _MiraReminderItem MiraReminderItem;
typedef struct _MiraEventItem   MiraEventItem;
typedef struct _MiraPersonItem  MiraPersonItem;

/* What this computer does for its network. */
typedef enum {
  MIRA_MODE_NONE,   /* first run: nothing chosen yet */
  MIRA_MODE_HOST,   /* hosts the network's server in-process */
  MIRA_MODE_JOIN,   /* joined a network on another server */
} MiraMode;

typedef enum {
  MIRA_CONNECTION_STATE_OFFLINE,     /* not configured, or stopped */
  MIRA_CONNECTION_STATE_CONNECTING,  /* first connection, or reconnecting after a drop */
  MIRA_CONNECTION_STATE_ONLINE,      /* initial state loaded, event socket open */
} MiraConnectionState;

typedef enum {
  MIRA_CAPTURE_STATE_IDLE,        /* not recording */
  MIRA_CAPTURE_STATE_STARTING,    /* pipeline or audio socket coming up */
  MIRA_CAPTURE_STATE_RECORDING,   /* audio flowing to the server */
  MIRA_CAPTURE_STATE_FAILED,      /* see the error property; recording stopped */
} MiraCaptureState;

/* A connected client's state, as API.md's connection_status. */
typedef enum {
  MIRA_CLIENT_STATUS_DISCONNECTED,
  MIRA_CLIENT_STATUS_CONNECTED,
  MIRA_CLIENT_STATUS_ERROR,
} MiraClientStatus;

/* A network's status, as API.md's network status. */
typedef enum {
  MIRA_NETWORK_STATUS_ACTIVE,
  MIRA_NETWORK_STATUS_INACTIVE,
  MIRA_NETWORK_STATUS_SUSPENDED,
} MiraNetworkStatus;
/* A reminder's priority and status, as API.md's */
typedef enum {
  MIRA_REMINDER_PRIORITY_LOW,
  MIRA_REMINDER_PRIORITY_MEDIUM,
  MIRA_REMINDER_PRIORITY_HIGH,
  MIRA_REMINDER_PRIORITY_URGENT,
} MiraReminderPriority;

typedef enum {
  MIRA_REMINDER_STATUS_PENDING,
  MIRA_REMINDER_STATUS_OVERDUE,
  MIRA_REMINDER_STATUS_COMPLETED,
  MIRA_REMINDER_STATUS_CANCELLED,
} MiraReminderStatus;

#define MIRA_CORE_ERROR (mira_core_error_quark ())

/* Errors the core reports to the app; messages are translated and fit to
 * show a person as they are.
 */
typedef enum {
  MIRA_CORE_ERROR_UNREACHABLE,      /* no answer from the server's address */
  MIRA_CORE_ERROR_TLS,              /* the certificate was refused */
  MIRA_CORE_ERROR_UNAUTHORIZED,     /* wrong or revoked token (401/403) */
  MIRA_CORE_ERROR_NOT_FOUND,        /* no such network on that server (404) */
  MIRA_CORE_ERROR_INVALID_LINK,     /* a join link or URL that cannot be read */
  MIRA_CORE_ERROR_SERVER,           /* any other refusal; message from the server's detail */
  MIRA_CORE_ERROR_NO_MICROPHONE,    /* no capture device */
  MIRA_CORE_ERROR_MICROPHONE_BUSY,  /* the device is in use */
  MIRA_CORE_ERROR_MICROPHONE_DENIED,/* access refused (permissions, portal) */
  MIRA_CORE_ERROR_HOST,             /* the embedded server could not start */
  MIRA_CORE_ERROR_KEYRING,          /* the Secret Service refused or is absent */
  MIRA_CORE_ERROR_INVALID,          /* the server refused a value (400, 422); the message names it */
  MIRA_CORE_ERROR_NOT_MIRA,         /* the address answers, but not as a Mira server (a router, another web server, the wrong port) */
} MiraCoreError;

GQuark mira_core_error_quark (void);

G_END_DECLS

/* GTypes of the enums above, for properties: MIRA_TYPE_MODE,
 * MIRA_TYPE_CONNECTION_STATE, MIRA_TYPE_CAPTURE_STATE,
 * MIRA_TYPE_CLIENT_STATUS, MIRA_TYPE_NETWORK_STATUS, MIRA_TYPE_CORE_ERROR
 */
#include "mira-core-enums.h"

