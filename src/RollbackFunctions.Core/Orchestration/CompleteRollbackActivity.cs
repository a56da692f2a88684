using Microsoft.DurableTask;
using RollbackFunctions.Core.Audit;
using RollbackFunctions.Core.Deploys;
using RollbackFunctions.Core.Ports;
using RollbackFunctions.Core.Quarantine;
using RollbackFunctions.Core.Rollbacks;
using RollbackFunctions.Core.Telemetry;

namespace RollbackFunctions.Core.Orchestration;

/// <summary>The end of a rollback: its phase, and the final status of every step it decided about.</summary>
public sealed record CompletionRequest(
    string RollbackId,
    string DeployId,
    RollbackPhase Phase,
    string Summary,
    IReadOnlyDictionary<string, StepStatus> Steps)
{
    /// <summary>How long to quarantine the deploy's version and artifacts when a revert ran; null or zero: not at all.</summary>
    public TimeSpan? QuarantineFor { get; init; }
}

/// <summary>
/// Records how the rollback ended, on the deploy (rolledBack or rollbackFailed, step statuses),
/// in quarantine (what was reverted is not deployed again at once) and on the rollback head. The
/// head is written last so that a terminal phase means everything else is already recorded. Idempotent.
/// Then, given an <see cref="Verification.ErrorBudget"/>, it measures what the incident cost the SLOs, for the impact figures.
/// </summary>
public sealed class CompleteRollbackActivity(IDeployStore deploys, IRollbackStore rollbacks, IQuarantineStore quarantine, IAuditLog audit, TimeProvider clock, Verification.ErrorBudget? budget = null)
    : TaskActivity<CompletionRequest, bool>
{
    public override Task<bool> RunAsync(TaskActivityContext context, CompletionRequest input) => ExecuteAsync(input, CancellationToken.None);

    public async Task<bool> ExecuteAsync(CompletionRequest input, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var deploy = await deploys.UpdateAsync(input.DeployId, deploy => deploy.RolledBack(input.Phase, input.Steps, now), cancellationToken);
        await audit.AppendAsync(
            new AuditEntry(input.RollbackId, RollbackActors.System, AuditActions.RollbackCompleted, input.Steps, input.Phase.ToString(), input.Summary),
            cancellationToken);
        if (deploy is not null && input.QuarantineFor is { } period && period > TimeSpan.Zero && QuarantineRule.Applies(input.Steps.Values))
        {
            await QuarantineAsync(input.RollbackId, deploy, now, period, cancellationToken);
        }

        await rollbacks.SetPhaseAsync(input.RollbackId, input.Phase, input.Summary, now, cancellationToken);
        if (await rollbacks.GetAsync(input.RollbackId, cancellationToken) is { } head)
        {
            // Counted again if this activity is retried after a crash: metrics are at least once.
            RollbackTelemetry.RollbackEnded(head, await rollbacks.GetStepsAsync(input.RollbackId, cancellationToken), input.Phase, now);
            await MeasureBudgetAsync(deploy, head, cancellationToken);
        }

        return true;
    }

    /// <summary>How long the error budget's queries may hold the end of a rollback.</summary>
    private static readonly TimeSpan BudgetQueryLimit = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Records what the incident cost the burn-rate checks' SLOs, after the head is terminal, so the
    /// rollback's outcome never waits on it for more than <see cref="BudgetQueryLimit"/> and never
    /// depends on it: a source that fails or is slow leaves the figure unmeasured (the report measures again on demand).
    /// </summary>
    private async Task MeasureBudgetAsync(DeployRecord? deploy, RollbackRecord head, CancellationToken cancellationToken)
    {
        if (budget is null || head.BudgetSpent is not null)
        {
            return;
        }

        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(BudgetQueryLimit);
        try
        {
            var spent = (await budget.OfIncidentAsync(deploy, head, limit.Token)).Select(b => b.Spent).OfType<double>().ToList();
            if (spent.Count > 0)
            {
                await rollbacks.SetBudgetSpentAsync(head.RollbackId, spent.Sum(), cancellationToken);
            }
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // Unmeasured is an honest figure; a failed measurement must not fail the rollback's end.
        }
    }

    private async Task QuarantineAsync(string rollbackId, DeployRecord deploy, DateTimeOffset now, TimeSpan period, CancellationToken cancellationToken)
    {
        // What was live before it: the newest deploy registered earlier that applied something and
        // was never rolled back (a stalled run of the pipeline changed nothing).
        var before = (await deploys.FindAsync(deploy.Service, deploy.Environment, cancellationToken))
            .FirstOrDefault(d => d.RegisteredAt < deploy.RegisteredAt && d.RollbackId is null && d.HasApplied());
        var subjects = QuarantineRule.SubjectsOf(deploy, before);
        if (subjects.Count == 0)
        {
            return; // a config-only redeploy without artifacts: nothing that could come back by itself
        }

        foreach (var subject in subjects)
        {
            await quarantine.AddAsync(new QuarantineEntry(deploy.Service, deploy.Environment, subject, rollbackId, deploy.DeployId, now, now + period), cancellationToken);
        }

        await audit.AppendAsync(
            new AuditEntry(rollbackId, RollbackActors.System, AuditActions.Quarantined, subjects.Select(s => s.ToString()).ToList(), deploy.Version, $"quarantined until {now + period:u}: {string.Join(", ", subjects)}"),
            cancellationToken);
    }
}
