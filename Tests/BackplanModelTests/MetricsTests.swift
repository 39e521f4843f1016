import Foundation
import Testing
@testable import BackplanModel

@Suite("Metrics on hand-computed examples")
struct MetricsTests {
    @Test("The mean Poisson deviance matches a hand computation, and a zero mean is floored to stay finite")
    func poissonDevianceByHand() {
        // y = [0, 1, 3], μ = [0.5, 1, 2]:
        // row 0: 0 − (0 − 0.5) = 0.5; row 1: 1·log 1 − 0 = 0; row 2: 3·log(1.5) − 1 = 0.216395…
        let expected = 2 * (0.5 + 0 + (3 * log(1.5) - 1)) / 3
        #expect(abs(Metrics.meanPoissonDeviance(y: [0, 1, 3], mu: [0.5, 1, 2]) - expected) < 1e-12)
        #expect(Metrics.meanPoissonDeviance(y: [2, 5], mu: [2, 5]) == 0)
        #expect(Metrics.meanPoissonDeviance(y: [], mu: []) == 0)
        // μ = 0 for an observed count is floored at 1e-9, finite.
        let floored = Metrics.meanPoissonDeviance(y: [1], mu: [0])
        #expect(floored.isFinite && abs(floored - 2 * (log(1 / 1e-9) - 1 + 1e-9)) < 1e-9)
    }

    @Test("The mean absolute error matches a hand computation") func maeByHand() {
        #expect(Metrics.meanAbsoluteError(y: [0, 1, 3], mu: [0.5, 1, 2]) == 0.5)
    }

    @Test("Spearman's correlation averages tied ranks and matches a hand computation") func spearmanWithTies() {
        #expect(Metrics.averageRanks([10, 20, 20, 5]) == [2, 3.5, 3.5, 1])
        // a = [1, 2, 2, 3] ranks [1, 2.5, 2.5, 4]; b = [1, 3, 2, 4] ranks [1, 3, 2, 4].
        // Centered: a [-1.5, 0, 0, 1.5], b [-1.5, 0.5, -0.5, 1.5]; Σab = 4.5, Σa² = 4.5, Σb² = 5.
        let expected = 4.5 / (4.5 * 5.0).squareRoot()
        #expect(abs(Metrics.spearman([1, 2, 2, 3], [1, 3, 2, 4]) - expected) < 1e-12)
        #expect(abs(Metrics.spearman([1, 2, 3], [30, 20, 10]) + 1) < 1e-12)
        #expect(Metrics.spearman([1, 1, 1], [1, 2, 3]) == 0)
    }

    @Test("F1 matches a hand computation, and no positives gives 0") func f1ByHand() {
        // TP 2, FP 1, FN 1 → 2·2 / (4 + 1 + 1) = 2/3.
        let f = Metrics.f1(actual: [true, true, true, false, false], predicted: [true, true, false, true, false])
        #expect(abs(f - 2.0 / 3.0) < 1e-12)
        #expect(Metrics.f1(actual: [false, false], predicted: [false, false]) == 0)
        #expect(Metrics.predictedHot(mu: log(2)) && !Metrics.predictedHot(mu: 0.69))
    }
}
