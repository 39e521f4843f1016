// The page tap (see include/PageTap.h). Every method forwards to the default VFS; xRead also reports pages of
// tapped files: reads of a main database file at a page-aligned offset, and reads of a WAL frame's page content
// (the page number is the first 4 bytes of the frame header, big-endian). Memory-mapped reads are declined
// (xFetch gives no mapping), so every page SQLite reads passes through xRead. Format: sqlite.org/fileformat2.html.
#include "PageTap.h"

#include <pthread.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

const char *const backplan_tap_vfs_name = "backplan-tap";

static sqlite3_vfs *real_vfs;
static sqlite3_vfs tap_vfs;
static backplan_tap_callback tap_callback;
static int register_result = SQLITE_ERROR;
static pthread_once_t register_once = PTHREAD_ONCE_INIT;

typedef struct TapFile {
    sqlite3_file base;
    sqlite3_file *real;  // the default VFS's file, allocated right after this struct
    void *sink;          // NULL: reads are not reported
    int wal;             // a WAL file: pages are in frames
} TapFile;

#define REAL(f) (((TapFile *)(f))->real)

static int is_page_size(int n) { return n >= 512 && n <= 65536 && (n & (n - 1)) == 0; }

static int tap_close(sqlite3_file *f) { return REAL(f)->pMethods->xClose(REAL(f)); }

static int tap_read(sqlite3_file *f, void *buffer, int count, sqlite3_int64 offset) {
    TapFile *p = (TapFile *)f;
    int rc = p->real->pMethods->xRead(p->real, buffer, count, offset);
    if (rc != SQLITE_OK || p->sink == NULL || tap_callback == NULL || !is_page_size(count)) return rc;
    if (!p->wal) {
        if (offset % count == 0) tap_callback(p->sink, offset / count + 1, buffer, count);
        return rc;
    }
    // WAL: a 32-byte header, then frames of a 24-byte header and one page; SQLite reads a page at its frame's
    // offset + 24.
    sqlite3_int64 frame = (sqlite3_int64)count + 24;
    if (offset >= 56 && (offset - 56) % frame == 0) {
        unsigned char h[4];
        if (p->real->pMethods->xRead(p->real, h, 4, offset - 24) == SQLITE_OK) {
            int64_t page = ((int64_t)h[0] << 24) | ((int64_t)h[1] << 16) | ((int64_t)h[2] << 8) | (int64_t)h[3];
            tap_callback(p->sink, page, buffer, count);
        }
    }
    return rc;
}

static int tap_write(sqlite3_file *f, const void *b, int n, sqlite3_int64 o) { return REAL(f)->pMethods->xWrite(REAL(f), b, n, o); }
static int tap_truncate(sqlite3_file *f, sqlite3_int64 size) { return REAL(f)->pMethods->xTruncate(REAL(f), size); }
static int tap_sync(sqlite3_file *f, int flags) { return REAL(f)->pMethods->xSync(REAL(f), flags); }
static int tap_file_size(sqlite3_file *f, sqlite3_int64 *size) { return REAL(f)->pMethods->xFileSize(REAL(f), size); }
static int tap_lock(sqlite3_file *f, int lock) { return REAL(f)->pMethods->xLock(REAL(f), lock); }
static int tap_unlock(sqlite3_file *f, int lock) { return REAL(f)->pMethods->xUnlock(REAL(f), lock); }
static int tap_check_reserved(sqlite3_file *f, int *out) { return REAL(f)->pMethods->xCheckReservedLock(REAL(f), out); }
static int tap_file_control(sqlite3_file *f, int op, void *arg) { return REAL(f)->pMethods->xFileControl(REAL(f), op, arg); }
static int tap_sector_size(sqlite3_file *f) { return REAL(f)->pMethods->xSectorSize(REAL(f)); }
static int tap_device(sqlite3_file *f) { return REAL(f)->pMethods->xDeviceCharacteristics(REAL(f)); }
static int tap_shm_map(sqlite3_file *f, int i, int size, int extend, void volatile **pp) {
    return REAL(f)->pMethods->xShmMap(REAL(f), i, size, extend, pp);
}
static int tap_shm_lock(sqlite3_file *f, int offset, int n, int flags) { return REAL(f)->pMethods->xShmLock(REAL(f), offset, n, flags); }
static void tap_shm_barrier(sqlite3_file *f) { REAL(f)->pMethods->xShmBarrier(REAL(f)); }
static int tap_shm_unmap(sqlite3_file *f, int delete_flag) { return REAL(f)->pMethods->xShmUnmap(REAL(f), delete_flag); }
static int tap_fetch(sqlite3_file *f, sqlite3_int64 o, int n, void **pp) {
    (void)f; (void)o; (void)n;
    *pp = NULL;  // no memory map: SQLite reads through xRead, which the tap sees
    return SQLITE_OK;
}
static int tap_unfetch(sqlite3_file *f, sqlite3_int64 o, void *p) {
    (void)f; (void)o; (void)p;
    return SQLITE_OK;
}

static const sqlite3_io_methods tap_methods = {
    3, tap_close, tap_read, tap_write, tap_truncate, tap_sync, tap_file_size, tap_lock, tap_unlock,
    tap_check_reserved, tap_file_control, tap_sector_size, tap_device, tap_shm_map, tap_shm_lock,
    tap_shm_barrier, tap_shm_unmap, tap_fetch, tap_unfetch,
};

static int tap_open(sqlite3_vfs *vfs, sqlite3_filename name, sqlite3_file *f, int flags, int *out_flags) {
    (void)vfs;
    TapFile *p = (TapFile *)f;
    memset(p, 0, sizeof(*p));
    p->real = (sqlite3_file *)&p[1];
    int rc = real_vfs->xOpen(real_vfs, name, p->real, flags, out_flags);
    // A real file with methods must be closed through ours, even when its open failed.
    if (p->real->pMethods == NULL) {
        p->base.pMethods = NULL;
        return rc;
    }
    if (p->real->pMethods->iVersion < 3) {
        p->real->pMethods->xClose(p->real);
        p->base.pMethods = NULL;
        return SQLITE_CANTOPEN;
    }
    p->base.pMethods = &tap_methods;
    if (rc == SQLITE_OK && name != NULL && (flags & (SQLITE_OPEN_MAIN_DB | SQLITE_OPEN_WAL))) {
        const char *database = (flags & SQLITE_OPEN_WAL) ? sqlite3_filename_database(name) : name;
        const char *sink = sqlite3_uri_parameter(database, "backplan_tap");
        if (sink != NULL) {
            p->sink = (void *)(uintptr_t)strtoull(sink, NULL, 10);
            p->wal = (flags & SQLITE_OPEN_WAL) != 0;
        }
    }
    return rc;
}

static int tap_delete(sqlite3_vfs *v, const char *n, int sync) { (void)v; return real_vfs->xDelete(real_vfs, n, sync); }
static int tap_access(sqlite3_vfs *v, const char *n, int flags, int *out) { (void)v; return real_vfs->xAccess(real_vfs, n, flags, out); }
static int tap_full_pathname(sqlite3_vfs *v, const char *n, int size, char *out) {
    (void)v;
    return real_vfs->xFullPathname(real_vfs, n, size, out);
}
static void *tap_dlopen(sqlite3_vfs *v, const char *n) { (void)v; return real_vfs->xDlOpen(real_vfs, n); }
static void tap_dlerror(sqlite3_vfs *v, int n, char *out) { (void)v; real_vfs->xDlError(real_vfs, n, out); }
static void (*tap_dlsym(sqlite3_vfs *v, void *h, const char *s))(void) { (void)v; return real_vfs->xDlSym(real_vfs, h, s); }
static void tap_dlclose(sqlite3_vfs *v, void *h) { (void)v; real_vfs->xDlClose(real_vfs, h); }
static int tap_randomness(sqlite3_vfs *v, int n, char *out) { (void)v; return real_vfs->xRandomness(real_vfs, n, out); }
static int tap_sleep(sqlite3_vfs *v, int us) { (void)v; return real_vfs->xSleep(real_vfs, us); }
static int tap_current_time(sqlite3_vfs *v, double *t) { (void)v; return real_vfs->xCurrentTime(real_vfs, t); }
static int tap_last_error(sqlite3_vfs *v, int n, char *out) { (void)v; return real_vfs->xGetLastError(real_vfs, n, out); }
static int tap_current_time64(sqlite3_vfs *v, sqlite3_int64 *t) {
    (void)v;
    return real_vfs->iVersion >= 2 && real_vfs->xCurrentTimeInt64 ? real_vfs->xCurrentTimeInt64(real_vfs, t) : SQLITE_ERROR;
}

static void register_tap(void) {
    real_vfs = sqlite3_vfs_find(NULL);
    if (real_vfs == NULL) return;
    tap_vfs.iVersion = 2;
    tap_vfs.szOsFile = (int)sizeof(TapFile) + real_vfs->szOsFile;
    tap_vfs.mxPathname = real_vfs->mxPathname;
    tap_vfs.zName = backplan_tap_vfs_name;
    tap_vfs.xOpen = tap_open;
    tap_vfs.xDelete = tap_delete;
    tap_vfs.xAccess = tap_access;
    tap_vfs.xFullPathname = tap_full_pathname;
    tap_vfs.xDlOpen = tap_dlopen;
    tap_vfs.xDlError = tap_dlerror;
    tap_vfs.xDlSym = tap_dlsym;
    tap_vfs.xDlClose = tap_dlclose;
    tap_vfs.xRandomness = tap_randomness;
    tap_vfs.xSleep = tap_sleep;
    tap_vfs.xCurrentTime = tap_current_time;
    tap_vfs.xGetLastError = tap_last_error;
    tap_vfs.xCurrentTimeInt64 = tap_current_time64;
    register_result = sqlite3_vfs_register(&tap_vfs, 0);
}

int backplan_tap_register(backplan_tap_callback callback) {
    pthread_once(&register_once, register_tap);
    if (register_result == SQLITE_OK && tap_callback == NULL) tap_callback = callback;
    return register_result;
}
