// A pass-through SQLite VFS that reports every database page it reads: the executor's change probe hashes the
// pages of a message store's tables as SQLite reads them inside one read transaction (the main file, or the
// WAL frame that holds the page's newest committed version), without parsing the file format itself.
#ifndef BACKPLAN_PAGE_TAP_H
#define BACKPLAN_PAGE_TAP_H

#include <stdint.h>

/// Called for each page read through the tap: the sink named by the connection's `backplan_tap` URI
/// parameter, the page number (1-based), its bytes and their count (the page size).
typedef void (*backplan_tap_callback)(void *sink, int64_t page, const void *bytes, int count);

/// Registers the VFS "backplan-tap" over the default VFS (once; later calls only return the result of the
/// first) and sets the callback. Returns SQLITE_OK or an SQLite error code.
int backplan_tap_register(backplan_tap_callback callback);

/// The VFS name to put in a URI (`vfs=backplan-tap`).
extern const char *const backplan_tap_vfs_name;

#endif
