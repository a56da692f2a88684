using Microsoft.DurableTask;
using RollbackFunctions.Core.Deploys;
using RollbackFunctions.Core.Ports;
using RollbackFunctions.Core.Verification;

namespace RollbackFunctions.Core.Watching;

/// <summary>
/// Request for one round of the watcher; an active deploy silent longer than
/// <see cref="ActiveDeployTimeout"/> is abandoned (<c>Rollback:Correlation:ActiveDeployTimeout</c>; null for the default).
/// </summary>
public sealed record WatchSampleRequest(string DeployId, TimeSpan? ActiveDeployTimeout = null);

/// <summary>
/// One round of the watcher. Whether the deploy is still judged (<see cref="DeployLifecycle"/>:
/// live, not superseded, not abandoned); on the first round the pre-deploy baseline of every check;
/// until the deploy applied something, nothing is judged; then every check sampled through the same
/// <see cref="CheckSampler"/> verification uses, with the baseline rule applied. The last samples
/// are recorded on the deploy for <c>GET /api/deploys/{id}</c>. Any fault (storage, a source, the
/// resilience pipeline) is a faulted round, never an exception: the watcher must not die of it.
/// Reads, plus idempotent writes of the report and the baseline: safe to repeat.
/// </summary>
public sealed class SampleDeployActivity(IDeployStore deploys, CheckSampler sampler, TimeProvider clock) : TaskActivity<WatchSampleRequest, WatchRound>
{
    /// <summary>Settings a deploy does not give.</summary>
    private static readonly Orchestration.VerificationSettings Defaults = Orchestration.RollbackSettings.Default.Verification;

    private static readonly TimeSpan DefaultActiveDeployTimeout = new Correlation.CorrelationOptions().ActiveDeployTimeout;

    public override Task<WatchRound> RunAsync(TaskActivityContext context, WatchSampleRequest input) => ExecuteAsync(input, CancellationToken.None);

    public async Task<WatchRound> ExecuteAsync(WatchSampleRequest input, CancellationToken cancellationToken)
    {
        try
        {
            return await SampleAsync(input, cancellationToken);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            return WatchRound.Faulted($"{e.GetType().Name}: {e.Message}", WatchDefaults.MinWatchInterval);
        }
    }

    private async Task<WatchRound> SampleAsync(WatchSampleRequest input, CancellationToken cancellationToken)
    {
        var deploy = await deploys.GetAsync(input.DeployId, cancellationToken);
        if (deploy is null)
        {
            return WatchRound.Ended(new DeployEnding(DeployEnding.Deleted, $"deploy {input.DeployId} does not exist"));
        }

        var now = clock.GetUtcNow();
        var ending = !deploy.IsWatched
            ? new DeployEnding(DeployEnding.NoChecks, "no checks to watch")
            : DeployLifecycle.WhyNotActedOn(deploy, await deploys.FindAsync(deploy.Service, deploy.Environment, cancellationToken, DeployLifecycle.SupersedesOlder), now, input.ActiveDeployTimeout ?? DefaultActiveDeployTimeout);
        if (ending is not null)
        {
            await ReportAsync(deploy.DeployId, new WatchReport(WatchReport.EndedState, now, deploy.Watch?.LastSamples ?? [], ending.Detail, ending.Reason), cancellationToken);
            return WatchRound.Ended(ending);
        }

        var conditions = deploy.Conditions!;
        var round = new WatchRound(true, null, deploy.Mode == DeployMode.Observe, conditions.WatchInterval ?? WatchDefaults.WatchInterval, conditions.NoData ?? Defaults.NoData, [], Judged: false, Subject: $"{deploy.Service} {deploy.Version} in {deploy.Environment}");
        if (deploy.Baseline is null)
        {
            // The first round, at registration: what the service looked like before this deploy.
            var baseline = new WatchBaseline(now, await Task.WhenAll(conditions.Checks.Select(check => sampler.SampleOrErrorAsync(check, cancellationToken))));
            await deploys.UpdateAsync(deploy.DeployId, d => d.Baseline is null ? d with { Baseline = baseline } : null, cancellationToken);
            await ReportAsync(deploy.DeployId, new WatchReport(WatchReport.Waiting, now, baseline.Checks, "baseline taken before the deploy applied anything"), cancellationToken);
            return round;
        }

        if (!deploy.HasApplied())
        {
            await ReportAsync(deploy.DeployId, new WatchReport(WatchReport.Waiting, now, deploy.Watch?.LastSamples ?? [], "nothing applied yet: judging starts at the first step reported applied"), cancellationToken);
            return round;
        }

        var checks = await Task.WhenAll(conditions.Checks.Select(async check =>
        {
            var result = await sampler.SampleOrErrorAsync(check, cancellationToken);
            var before = deploy.Baseline.Checks.FirstOrDefault(b => b.Name == check.Name);
            return new WatchedCheck(
                result,
                CheckSampler.QueryOf(check),
                CheckSampler.ThresholdOf(check),
                check.FailureLimit ?? WatchDefaults.FailureLimit,
                check.ConsecutiveErrorLimit ?? WatchDefaults.ConsecutiveErrorLimit,
                check.DryRun,
                BaselineRule.AlreadyFailing(check, before, result));
        }));
        await ReportAsync(deploy.DeployId, new WatchReport(WatchReport.Watching, now, checks.Select(c => c.Result).ToList()), cancellationToken);
        return round with { Checks = checks, Judged = true, At = now };
    }

    private Task ReportAsync(string deployId, WatchReport report, CancellationToken cancellationToken) =>
        deploys.UpdateAsync(deployId, deploy => deploy.Watch?.State is WatchReport.Breached or WatchReport.WouldRollBack && report.State == WatchReport.Watching
            ? deploy with { Watch = report with { State = deploy.Watch.State, Note = deploy.Watch.Note } }
            : deploy with { Watch = report }, cancellationToken);
}
