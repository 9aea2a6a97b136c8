/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _MiraDb        MiraDb;
typedef struct _MiraDbResult  MiraDbResult;
typedef struct _MiraStore     MiraStore;
typedef struct _MiraEventBus  MiraEventBus;
typedef struct _MiraServer    MiraServer;
typedef struct _MiraApiCall   MiraApiCall;

typedef enum {
  MIRA_DB_DIALECT_POSTGRESQL,
  MIRA_DB_DIALECT_SQLITE,
} MiraDbDialect;

/* Who a bearer token belongs to. */
typedef enum {
  MIRA_AUTH_NONE,
  MIRA_AUTH_ADMIN,
  MIRA_AUTH_NETWORK,
  MIRA_AUTH_SESSION,
} MiraAuthKind;

G_END_DECLS
