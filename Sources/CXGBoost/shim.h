// XGBoost's C API (pkg-config `xgboost`; Debian: libxgboost-dev 1.7.4).
// Handles are `void *`, sizes `bst_ulong` (uint64_t); every call returns 0 on success and -1 on failure,
// with the message in XGBGetLastError().
#include <xgboost/c_api.h>
