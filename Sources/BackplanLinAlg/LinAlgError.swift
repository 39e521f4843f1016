/// Why a linear-algebra call in `BackplanLinAlg` refused or failed.
///
/// Every case names the operation (or LAPACK routine) so the message stands on its own:
///
///     gemm: A is 3×4 but B is 5×2 (inner dimensions 4 and 5 differ)
///     choleskySolve: A[2, 0] is not finite (nan)
///     dpotrf: leading minor 3 is not positive definite (info 3)
///
/// Shape and finiteness problems are found in Swift *before* any BLAS/LAPACK call, so BLAS never
/// reaches its own `xerbla` (which would print to stderr) and LAPACK never sees NaN.
public enum LinAlgError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The operands' shapes do not fit together; `detail` names the shapes, e.g.
    /// `"A is 3×4 but B is 5×2 (inner dimensions 4 and 5 differ)"`.
    case dimensionMismatch(operation: String, detail: String)

    /// An input that must be finite holds NaN or ±∞ at `argument[row, column]`
    /// (`column` is `nil` for a vector). `value` is its text: `"nan"`, `"inf"` or `"-inf"`.
    case nonFinite(operation: String, argument: String, row: Int, column: Int?, value: String)

    /// A scalar or vector argument is outside its valid range (a negative weight, a negative ridge,
    /// a dimension that does not fit BLAS's 32-bit integers).
    case invalidArgument(operation: String, detail: String)

    /// A LAPACK routine returned a non-zero `info`.
    ///
    /// - `info < 0`: argument number `-info` had an illegal value (a bug in this module);
    ///   `-1010`/`-1011` are LAPACKE's out-of-memory codes (workspace / row-major transpose).
    /// - `info > 0`: a numerical failure whose meaning depends on the routine; for `dpotrf` the
    ///   leading minor of order `info` is not positive definite, so the factorization could not finish.
    case lapack(routine: String, info: Int32)

    public var description: String {
        switch self {
        case let .dimensionMismatch(operation, detail):
            return "\(operation): \(detail)"
        case let .nonFinite(operation, argument, row, column, value):
            let position = column.map { "\(argument)[\(row), \($0)]" } ?? "\(argument)[\(row)]"
            return "\(operation): \(position) is not finite (\(value))"
        case let .invalidArgument(operation, detail):
            return "\(operation): \(detail)"
        case let .lapack(routine, info):
            return "\(routine): \(Self.explain(routine: routine, info: info)) (info \(info))"
        }
    }

    /// LAPACK's documented meaning of `info` for the routines this module calls.
    private static func explain(routine: String, info: Int32) -> String {
        switch info {
        case -1010: return "LAPACKE could not allocate its workspace"
        case -1011: return "LAPACKE could not allocate the row-major transpose"
        case ..<0: return "argument \(-info) had an illegal value"
        case 0: return "success"
        default:
            switch routine {
            case "dpotrf": return "leading minor \(info) is not positive definite"
            default: return "numerical failure at step \(info)"
            }
        }
    }
}
