using Microsoft.DurableTask;
using RollbackFunctions.Core.Audit;
using RollbackFunctions.Core.Ports;
using RollbackFunctions.Core.Verification;

namespace RollbackFunctions.Core.Orchestration;

/// <summary>One verification round: the deploy's checks, or, without checks, whether the triggering alerts resolved.</summary>
public sealed record HealthRequest(string RollbackId, IReadOnlyList<ConditionCheck> Checks, NoDataPolicy NoData);

/// <summary>Samples health once, stores the sample and audits it. Reads only; safe to repeat.</summary>
public sealed class EvaluateHealthActivity(
    CheckSampler sampler,
    IRollbackStore rollbacks,
    IAlertLog alerts,
    IAuditLog audit,
    TimeProvider clock) : TaskActivity<HealthRequest, VerificationSample>
{
    public override Task<VerificationSample> RunAsync(TaskActivityContext context, HealthRequest input) => ExecuteAsync(input, CancellationToken.None);

    public async Task<VerificationSample> ExecuteAsync(HealthRequest input, CancellationToken cancellationToken)
    {
        var sample = input.Checks.Count > 0
            ? await SampleChecksAsync(input, cancellationToken)
            : await SampleAlertsAsync(input.RollbackId, cancellationToken);
        await rollbacks.AddSampleAsync(input.RollbackId, sample, cancellationToken);
        await audit.AppendAsync(
            new AuditEntry(input.RollbackId, RollbackActors.System, AuditActions.VerificationSample, sample.Checks, sample.Verdict.ToString(), sample.Summary),
            cancellationToken);
        return sample;
    }

    private async Task<VerificationSample> SampleChecksAsync(HealthRequest input, CancellationToken cancellationToken)
    {
        var results = new List<CheckResult>();
        foreach (var check in input.Checks)
        {
            results.Add(await sampler.SampleAsync(check, cancellationToken));
        }

        var verdict = CheckEvaluator.Combine(results, input.NoData);
        var summary = string.Join("; ", results.Select(r => $"{r.Name}: {r.Verdict.ToString().ToLowerInvariant()} ({r.Detail})"));
        return new VerificationSample(clock.GetUtcNow(), verdict, results, summary);
    }

    /// <summary>
    /// With no registered checks, the proof of health is that every alert of the rollback resolved:
    /// the ones that triggered it and every episode that fired against it since (an alert that
    /// resolves and fires again is a new episode, and counts as firing).
    /// </summary>
    private async Task<VerificationSample> SampleAlertsAsync(string rollbackId, CancellationToken cancellationToken)
    {
        var rollback = await rollbacks.GetAsync(rollbackId, cancellationToken) ?? throw new InvalidOperationException($"no rollback {rollbackId}");
        var watched = rollback.Trigger.Alerts.Select(a => new FiringAlert(a.DedupKey, a.Name))
            .Concat(await alerts.FiringForRollbackAsync(rollbackId, cancellationToken))
            .DistinctBy(a => a.DedupKey);
        var results = new List<CheckResult>();
        foreach (var alert in watched)
        {
            var resolved = await alerts.IsResolvedAsync(alert.DedupKey, cancellationToken);
            results.Add(new CheckResult(alert.Name, resolved ? Verdict.Healthy : Verdict.Unhealthy, null, resolved ? "resolved" : "still firing"));
        }

        var firing = results.Count(r => r.Verdict != Verdict.Healthy);
        var verdict = results.Count > 0 && firing == 0 ? Verdict.Healthy : Verdict.Unhealthy;
        var summary = firing == 0 ? $"all {results.Count} alert(s) of the rollback resolved" : $"{firing} of {results.Count} alert(s) of the rollback still firing";
        return new VerificationSample(clock.GetUtcNow(), verdict, results, summary);
    }
}
