using RollbackFunctions.Core.Deploys;
using RollbackFunctions.Core.Notifications;

namespace RollbackFunctions.Infrastructure.Notifications;

/// <summary>
/// Where a page points on-call, built from <c>Rollback:Notifications:PublicBaseUrl</c>: the rollback's
/// JSON status, and the ops page opened on the rollback (and on the step that waits for an approval,
/// when one does), where an operator key can act.
/// </summary>
public sealed record PageLinks(string Status, string OpsPage)
{
    public static PageLinks For(string publicBaseUrl, Page page)
    {
        var root = publicBaseUrl.TrimEnd('/');
        var rollbackId = page.Rollback.RollbackId;
        var waiting = page.Kind == PageKind.ApprovalNeeded ? page.Steps.FirstOrDefault(s => s.Status == StepStatus.AwaitingApproval) : null;
        var fragment = $"rollback={Uri.EscapeDataString(rollbackId)}" + (waiting is null ? "" : $"&step={Uri.EscapeDataString(waiting.StepId)}");
        return new PageLinks($"{root}/api/rollbacks/{rollbackId}", $"{root}/api/ui#{fragment}");
    }
}
