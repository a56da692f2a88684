using Microsoft.DurableTask;
using RollbackFunctions.Core.Deploys;
using RollbackFunctions.Core.Ports;
using RollbackFunctions.Core.Verification;

namespace RollbackFunctions.Core.Watching;

/// <summary>Request for one round of the watcher.</summary>
public sealed record WatchSampleRequest(string DeployId);

/// <summary>
/// One round of the watcher: whether the deploy is still watched (active or baking, not halted),
/// and if so every check sampled through the same <see cref="CheckSampler"/> verification uses;
/// the last samples are recorded on the deploy for <c>GET /api/deploys/{id}</c>. Reads, plus one
/// idempotent write of that report: safe to repeat.
/// </summary>
public sealed class SampleDeployActivity(IDeployStore deploys, CheckSampler sampler, TimeProvider clock) : TaskActivity<WatchSampleRequest, WatchRound>
{
    /// <summary>Settings a deploy does not give.</summary>
    private static readonly Orchestration.VerificationSettings Defaults = Orchestration.RollbackSettings.Default.Verification;

    public override Task<WatchRound> RunAsync(TaskActivityContext context, WatchSampleRequest input) => ExecuteAsync(input, CancellationToken.None);

    public async Task<WatchRound> ExecuteAsync(WatchSampleRequest input, CancellationToken cancellationToken)
    {
        var deploy = await deploys.GetAsync(input.DeployId, cancellationToken);
        if (deploy is null)
        {
            return WatchRound.Ended($"deploy {input.DeployId} does not exist");
        }

        var state = deploy.StateAt(clock.GetUtcNow());
        if (!state.IsLive() || !deploy.IsWatched)
        {
            var reason = deploy.IsWatched ? $"deploy is {state}" : "no checks to watch";
            await ReportAsync(deploy.DeployId, new WatchReport("ended", clock.GetUtcNow(), deploy.Watch?.LastSamples ?? [], reason), cancellationToken);
            return WatchRound.Ended(reason);
        }

        var conditions = deploy.Conditions!;
        var checks = await Task.WhenAll(conditions.Checks.Select(async check => new WatchedCheck(
            await sampler.SampleAsync(check, cancellationToken),
            CheckSampler.QueryOf(check),
            CheckSampler.ThresholdOf(check),
            check.FailureLimit ?? WatchDefaults.FailureLimit,
            check.ConsecutiveErrorLimit ?? WatchDefaults.ConsecutiveErrorLimit,
            check.DryRun)));
        await ReportAsync(deploy.DeployId, new WatchReport("watching", clock.GetUtcNow(), checks.Select(c => c.Result).ToList()), cancellationToken);
        return new WatchRound(true, null, deploy.Mode == DeployMode.Observe, conditions.WatchInterval ?? WatchDefaults.WatchInterval, conditions.NoData ?? Defaults.NoData, checks);
    }

    private Task ReportAsync(string deployId, WatchReport report, CancellationToken cancellationToken) =>
        deploys.UpdateAsync(deployId, deploy => deploy.Watch?.State is "breached" or "wouldRollBack" && report.State == "watching"
            ? deploy with { Watch = report with { State = deploy.Watch.State, Note = deploy.Watch.Note } }
            : deploy with { Watch = report }, cancellationToken);
}
