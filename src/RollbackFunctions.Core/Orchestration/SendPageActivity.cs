using Microsoft.DurableTask;
using Microsoft.Extensions.Logging;
using RollbackFunctions.Core.Audit;
using RollbackFunctions.Core.Notifications;
using RollbackFunctions.Core.Ports;

namespace RollbackFunctions.Core.Orchestration;

/// <summary>
/// Pages on-call with the evidence as it stands now: the triggering alerts, the plan with each
/// step's outcome, the verification samples. Gathering the evidence here keeps it out of the
/// orchestration history. Channel failures are outcomes, recorded in the audit trail.
/// </summary>
public sealed class SendPageActivity(IDeployStore deploys, IRollbackStore rollbacks, IPager pager, IAuditLog audit, ILogger<SendPageActivity> logger)
    : TaskActivity<PageRequest, IReadOnlyList<ChannelOutcome>>
{
    public override Task<IReadOnlyList<ChannelOutcome>> RunAsync(TaskActivityContext context, PageRequest input) => ExecuteAsync(input, CancellationToken.None);

    public async Task<IReadOnlyList<ChannelOutcome>> ExecuteAsync(PageRequest input, CancellationToken cancellationToken)
    {
        var rollback = await rollbacks.GetAsync(input.RollbackId, cancellationToken)
            ?? throw new InvalidOperationException($"no rollback {input.RollbackId}");
        var deploy = await deploys.GetAsync(rollback.DeployId, cancellationToken)
            ?? throw new InvalidOperationException($"no deploy {rollback.DeployId}");
        var page = new Page(
            input.Kind,
            input.Summary,
            deploy,
            rollback,
            await rollbacks.GetStepsAsync(input.RollbackId, cancellationToken),
            await rollbacks.GetSamplesAsync(input.RollbackId, cancellationToken));

        var outcomes = await pager.PageAsync(page, cancellationToken);
        OrchestrationLog.PageSent(logger, input.RollbackId, input.Kind.ToString(), outcomes.Count(o => o.Delivered), outcomes.Count);
        foreach (var outcome in outcomes)
        {
            await audit.AppendAsync(
                new AuditEntry(input.RollbackId, RollbackActors.System, AuditActions.PageSent, new { input.Kind, outcome.Channel }, outcome.Delivered ? "delivered" : "failed", $"{input.Kind} via {outcome.Channel}: {outcome.Detail}"),
                cancellationToken);
        }

        if (outcomes.Any(o => o.Delivered))
        {
            await rollbacks.CountPageAsync(input.RollbackId, cancellationToken);
        }

        if (outcomes.Count > 0 && outcomes.All(o => !o.Delivered) && outcomes.Any(o => o.Channel != NoChannel))
        {
            // Every configured channel refused: throw, so the Durable retry sends it again.
            throw new PageNotDeliveredException($"{input.Kind} page of {input.RollbackId} not delivered: {string.Join("; ", outcomes.Select(o => $"{o.Channel}: {o.Detail}"))}");
        }

        return outcomes;
    }

    /// <summary>The outcome a pager reports when no channel is configured for the deploy: nothing to retry.</summary>
    public const string NoChannel = "none";
}

/// <summary>No configured channel took a page; thrown so the Durable retry sends it again.</summary>
public sealed class PageNotDeliveredException(string message) : Exception(message);
