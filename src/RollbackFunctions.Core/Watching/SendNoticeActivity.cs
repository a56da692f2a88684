using Microsoft.DurableTask;
using RollbackFunctions.Core.Notifications;
using RollbackFunctions.Core.Ports;

namespace RollbackFunctions.Core.Watching;

/// <summary>Checks the watcher cannot evaluate any more, to tell on-call once.</summary>
public sealed record CannotEvaluateRequest(string DeployId, IReadOnlyList<string> Checks, string Detail);

/// <summary>Pages "cannot evaluate" at warning severity: the watcher is blind for those checks and will not roll back on them.</summary>
public sealed class SendNoticeActivity(IDeployStore deploys, IPager pager) : TaskActivity<CannotEvaluateRequest, bool>
{
    public override Task<bool> RunAsync(TaskActivityContext context, CannotEvaluateRequest input) => ExecuteAsync(input, CancellationToken.None);

    public async Task<bool> ExecuteAsync(CannotEvaluateRequest input, CancellationToken cancellationToken)
    {
        if (await deploys.GetAsync(input.DeployId, cancellationToken) is not { } deploy)
        {
            return false;
        }

        var checks = string.Join(", ", input.Checks);
        var summary = $"cannot evaluate {checks} of {deploy.Service} {deploy.Version} in {deploy.Environment}: {input.Detail}; the watcher will not roll back on {(input.Checks.Count == 1 ? "it" : "them")}";
        await pager.WarnAsync(new Notice($"cannot-evaluate-{deploy.DeployId}-{checks}", "CannotEvaluate", deploy.Service, deploy.Environment, summary, new Dictionary<string, string> { ["checks"] = checks, ["detail"] = input.Detail }, $"/api/deploys/{deploy.DeployId}"), cancellationToken);
        return true;
    }
}
