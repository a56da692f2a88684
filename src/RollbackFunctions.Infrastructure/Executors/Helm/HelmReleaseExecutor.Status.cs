using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using RollbackFunctions.Infrastructure.Executors.Processes;

namespace RollbackFunctions.Infrastructure.Executors.Helm;

/// <summary>Reading a release's state before a rollback: <c>helm status</c>, <c>pending-*</c>, and what a failed read means.</summary>
public sealed partial class HelmReleaseExecutor
{
    /// <summary>
    /// Reads <c>helm status -o json</c> until the release is out of <c>pending-*</c> (CI's helm may
    /// still be running: a rollback now would race it), at most <see cref="HelmOptions.PendingWait"/>;
    /// still pending then, it is stuck (a helm client died mid-operation) and <c>helm rollback</c>
    /// is what clears it. Returns that finding for the step's detail, or why the status is unreadable.
    /// </summary>
    private async Task<(string? Stuck, string? Error, bool Transient)> SettleAsync(HelmRelease release, CancellationToken cancellationToken)
    {
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            var result = await processes.RunAsync(
                options.Value.Path!,
                ["status", release.Name, "--namespace", release.Namespace, "--output", "json", .. ClusterArguments(release)],
                Path.GetTempPath(),
                options.Value.HistoryTimeout,
                cancellationToken);
            if (result.ExitCode != 0)
            {
                var (problem, transient) = Failure("status", release, result);
                return (null, problem, transient);
            }

            string? status;
            try
            {
                status = (string?)JsonNode.Parse(result.StandardOutput)?["info"]?["status"];
            }
            catch (JsonException e)
            {
                return (null, $"helm status of {release} printed something that is not its JSON: {e.Message}", false);
            }

            if (status is null || !status.StartsWith("pending-", StringComparison.Ordinal))
            {
                return (null, null, false);
            }

            if (waited.Elapsed >= options.Value.PendingWait)
            {
                return ($"{release} was still {status} after {options.Value.PendingWait} (a helm that stopped mid-operation?); rolling back over it", null, false);
            }

            await Task.Delay(options.Value.PendingWait < PendingPoll * 4 ? options.Value.PendingWait / 4 : PendingPoll, cancellationToken);
        }
    }

    private static readonly TimeSpan PendingPoll = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Why a helm read failed, and whether a retry may help. Only helm's own "release: not found" means
    /// the release does not exist; "not found" elsewhere (a missing auth plugin, a context) does not.
    /// </summary>
    private static (string Problem, bool Transient) Failure(string command, HelmRelease release, ProcessResult result) =>
        ReleaseNotFound().IsMatch(result.StandardError)
            ? ($"{release} does not exist: there is nothing to roll back to; register the step with revert.mode manual, or leave it out", false)
            : ($"helm {command} of {release} exited {result.ExitCode}: {result.Tail()}", true);

    [GeneratedRegex(@"^Error: release: not found\s*$", RegexOptions.Multiline)]
    private static partial Regex ReleaseNotFound();
}
