// CBLAS from OpenBLAS (pkg-config `openblas`; Debian: libopenblas-dev).
// `blasint` is a 32-bit `int` in this build (no INTERFACE64), so Swift sees it as Int32.
#include <cblas.h>
