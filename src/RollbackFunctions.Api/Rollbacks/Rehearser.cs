using Microsoft.Extensions.Options;
using RollbackFunctions.Core.Audit;
using RollbackFunctions.Core.Deploys;
using RollbackFunctions.Core.Executors;
using RollbackFunctions.Core.Planning;
using RollbackFunctions.Core.Ports;

namespace RollbackFunctions.Api.Rollbacks;

/// <summary><c>Rollback:Rehearsal</c>: how long all of a deploy's dry runs may take together.</summary>
public sealed class RehearsalOptions
{
    public TimeSpan Timeout { get; set; } = TimeSpan.FromMinutes(2);
}

/// <summary>
/// Runs, for every step a rollback could revert, the dry run its executor offers, in parallel and
/// within <see cref="RehearsalOptions.Timeout"/>; stores what each found on the deploy and audits
/// it. Nothing is changed on any target: each executor's <c>RehearseAsync</c> promises that.
/// </summary>
public sealed class Rehearser(StepExecutorCatalog executors, IDeployStore deploys, IAuditLog audit, IRedactor redactor, IOptions<RehearsalOptions> options, TimeProvider clock)
{
    public async Task<DeployRecord> RehearseAsync(DeployRecord deploy, string actor, CancellationToken cancellationToken)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(options.Value.Timeout);
        // The steps the plan lists: a failed step may have changed its target too.
        var candidates = RollbackPlanner.StepsToRevert(deploy);
        // The same mask as a revert's detail: what a tool or receiver printed may echo a configured secret.
        var results = (await Task.WhenAll(candidates.Select(step => RehearseAsync(deploy, step, limit.Token))))
            .Select(r => r with { Detail = redactor.Redact(r.Detail) }).ToArray();
        var rehearsal = new Rehearsal(clock.GetUtcNow(), candidates.Zip(results).ToDictionary(p => p.First.Id, p => p.Second));
        var stored = await deploys.UpdateAsync(deploy.DeployId, d => d with { Rehearsal = rehearsal }, cancellationToken) ?? deploy;
        await audit.AppendAsync(
            new AuditEntry(Identifiers.RollbackIdFor(deploy.DeployId), actor, AuditActions.Rehearsed, rehearsal.Steps.ToDictionary(s => s.Key, s => s.Value.Outcome.ToString()),
                rehearsal.Steps.All(s => s.Value.Passes) ? "passed" : "notPassed",
                string.Join("; ", rehearsal.Steps.Select(s => $"{s.Key}: {s.Value.Outcome} ({s.Value.Detail})"))),
            cancellationToken);
        return stored;
    }

    private async Task<StepRehearsal> RehearseAsync(DeployRecord deploy, DeployStep step, CancellationToken cancellationToken)
    {
        if (step.RevertMode == RevertMode.Manual)
        {
            return StepRehearsal.NotRehearsable("manual: work for a human, never executed");
        }

        if (executors.Find(step.Kind) is not { } executor)
        {
            return StepRehearsal.Fails($"no executor for kind {step.Kind}");
        }

        // The rehearsal's own bound is the step's deadline: a tool stopped by it (terraform) ends
        // gracefully, its scratch checkout removed, before the cancellation below cuts the wait.
        var request = new StepRevertRequest($"rehearsal-{deploy.DeployId}", deploy.DeployId, step.Id, step.Kind, step.Params, deploy.Version, deploy.PreviousVersion)
        {
            Captured = step.Captured,
            WaitLimit = options.Value.Timeout,
            DeadlineAt = clock.GetUtcNow() + options.Value.Timeout,
        };
        try
        {
            return await executor.RehearseAsync(request, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return StepRehearsal.Fails($"no answer within {options.Value.Timeout}");
        }
        catch (StepUnavailableException e)
        {
            return StepRehearsal.Fails($"target not reachable: {e.Message}");
        }
    }
}
