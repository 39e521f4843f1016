import ArgumentParser
import BackplanCore
import Foundation

/// The `backplan` command: parse, call a module, print. Data goes to stdout, logs and progress to stderr;
/// exit code 0 success, 1 failure, 2 bad usage or bad input (DESIGN §8).
@main
struct Backplan: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backplan",
        abstract: "Adaptive backup planning for message stores: access statistics in, per-dataset backup plans out.",
        discussion: """
            A typical session:
              backplan datasets generate --seed 42 --out chat.sqlite      # or bring your own store/log
              backplan ingest chat.sqlite --format message-store --db stats.sqlite
              backplan ingest CollegeMsg.txt --format snap-temporal --db stats.sqlite
              backplan stats --db stats.sqlite

            Exit codes: 0 success, 1 failure, 2 bad usage or bad input (the message names the file, line and column).
            """,
        version: "0.1.0",
        subcommands: [Datasets.self, Ingest.self, SourcesCommand.self, Stats.self, Train.self, Evaluate.self, PlanCommand.self,
                      ExplainCommand.self, ReportCommand.self, FrontierCommand.self, TiersCommand.self, SimulateCommand.self, NotebookCommand.self,
                      ExecuteCommand.self, RestoreCommand.self, DrillCommand.self, StatusCommand.self, AuditCommand.self])

    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch let error as InputError {
            Console.error(error.description)
            Foundation.exit(2)
        } catch {
            let code = exitCode(for: error)
            if code == .validationFailure {
                // swift-argument-parser exits 64 (EX_USAGE) on usage errors; Backplan's contract is 2, and its
                // one error style is `backplan: error: …` (the parser's own "Error: " prefix is replaced).
                Console.write(usageMessage(fullMessage(for: error)) + "\n", to: .standardError)
                Foundation.exit(2)
            }
            if code == .success || error is ExitCode || error is CleanExit {
                exit(withError: error)
            }
            Console.error(message(for: error))
            Foundation.exit(1)
        }
    }

    /// The parser's usage error in Backplan's style: `Error: Missing …` → `backplan: error: Missing …`, the
    /// help and usage lines after it kept.
    static func usageMessage(_ full: String) -> String {
        let text = full.hasPrefix("Error: ") ? String(full.dropFirst("Error: ".count)) : full
        return "backplan: error: " + text
    }
}
