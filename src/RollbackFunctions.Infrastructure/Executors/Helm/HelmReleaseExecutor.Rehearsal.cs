using System.Globalization;
using RollbackFunctions.Core.Deploys;
using RollbackFunctions.Core.Executors;

namespace RollbackFunctions.Infrastructure.Executors.Helm;

public sealed partial class HelmReleaseExecutor
{
    /// <summary>
    /// <c>helm rollback RELEASE REVISION --dry-run</c>: helm renders the revision's manifests and checks
    /// the release and revision exist, and changes nothing.
    /// </summary>
    public async Task<StepRehearsal> RehearseAsync(StepRevertRequest request, CancellationToken cancellationToken)
    {
        if (Read(request.Params, out var release) is { } problem)
        {
            return StepRehearsal.Fails(problem);
        }

        if ((release.Revision ?? JsonNumbers.Long(request.Captured?["revision"], fallback: 0)) is not (> 0 and var target))
        {
            return StepRehearsal.Fails($"{release}: no revision captured at registration and params.revision is not set");
        }

        var result = await processes.RunAsync(
            options.Value.Path!,
            ["rollback", release.Name, target.ToString(CultureInfo.InvariantCulture), "--namespace", release.Namespace, "--dry-run", .. ClusterArguments(release)],
            Path.GetTempPath(),
            options.Value.HistoryTimeout,
            cancellationToken);
        return result.ExitCode == 0
            ? StepRehearsal.Ok($"helm rollback of {release} to revision {target} --dry-run succeeded: {result.Tail()}")
            : StepRehearsal.Fails($"helm rollback of {release} to revision {target} --dry-run exited {result.ExitCode}: {result.Tail()}");
    }
}
