/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "mira-core-types.h"

G_DEFINE_QUARK (mira-core-error-quark, mira_core_error)
